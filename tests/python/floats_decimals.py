"""Floats and decimals through the Python library's JSON transcoder, for the
Rust interoperability tests.

    floats_decimals.py write    prints, one per line, `float JSON HEX` (the float as
                        json.dumps writes it, and the state of an inventory
                        Weighed event holding it) or `decimal STR HEX` (str()
                        of the Decimal, and a Repriced event's state)
    floats_decimals.py read     reads `float HEX` / `decimal HEX` lines (states Rust
                        wrote) and prints what they decode to, as above, and
                        whether encoding the decoded state gives the same bytes
"""
import json
import random
import struct
import sys
from datetime import datetime, timezone
from decimal import Decimal

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    UUIDAsHex,
)

transcoder = JSONTranscoder()
for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
    transcoder.register(transcoding)

TIMESTAMP = datetime(2026, 11, 27, 6, 51, 30, 251580, tzinfo=timezone.utc)

FLOATS = [
    float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1.0, 0.1, 1e15, 1e16,
    1.5e16, 0.0001, 0.00001, 1e-7, 5e-324, 2.2250738585072014e-308,
    1.7976931348623157e308, 123456789012345680.0, 9007199254740993.0, 1 / 3,
]
DECIMALS = [
    "0", "-0", "0.00", "-0.00", "1.000", "12.50", "-12.50", "1E-7", "0E-7",
    "-0E-7", "1.2E-7", "0.000001", "1E-28", "0E-28",
    "79228162514264337593543950335", "-7.9228162514264337593543950335",
    "0.0000000000000000000000000001",
    # Python holds these; a rust_decimal::Decimal cannot, exactly.
    "1E+3", "5E+28", "1.0E+29", "1E-29", "79228162514264337593543950336",
    "1.00000000000000000000000000000", "NaN", "-Infinity", "sNaN",
]


def state_of(kind, value):
    if kind == "float":
        return {
            "timestamp": TIMESTAMP,
            "weight_kg": value,
            "size": {"width": value, "height": -value, "depth": 1.5},
        }
    return {"timestamp": TIMESTAMP, "price": value}


def main(args):
    if args[0] == "write":
        rng = random.Random(10)
        floats = FLOATS + [
            struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
            for _ in range(2000)
        ]
        for value in floats:
            if value != value:
                value = float("nan")  # one NaN: json writes them all alike
            state = transcoder.encode(state_of("float", value))
            print("float", json.dumps(value), state.hex())
        for text in DECIMALS:
            value = Decimal(text)
            print("decimal", str(value), transcoder.encode(state_of("decimal", value)).hex())
    elif args[0] == "read":
        for line in sys.stdin:
            kind, hexed = line.split()
            data = bytes.fromhex(hexed)
            state = transcoder.decode(data)
            same = transcoder.encode(state) == data
            if kind == "float":
                size = state["size"]
                shown = [state["weight_kg"], size["width"], size["height"], size["depth"]]
                print(" ".join(json.dumps(v) for v in shown), same)
            else:
                print(str(state["price"]), same)
    else:
        raise SystemExit("unknown command " + args[0])


if __name__ == "__main__":
    main(sys.argv[1:])
