"""The tutorial's domain, version 2: a thing that happens has a reason.

SomethingHappened is at class version 2, with an upcast that gives events
stored at version 1 the reason "unknown": what the Rust generated from
schemas/world_v2.yaml does. Its module is `universe`, so its topics are the
tutorial's.
"""
from typing import List
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class World(Aggregate):
    @event("Started")
    def __init__(self, name: str) -> None:
        self.name = name
        self.history: List[str] = []
        self.reasons: List[str] = []

    class SomethingHappened(Aggregate.Event):
        what: str
        why: str
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state):
            state["why"] = "unknown"

        def apply(self, world) -> None:
            world.history.append(self.what)
            world.reasons.append(self.why)

    def make_it_so(self, what: str, why: str) -> None:
        self.trigger_event(self.SomethingHappened, what=what, why=why)


class Universe(Application):
    def create_world(self, name: str) -> UUID:
        world = World(name)
        self.save(world)
        return world.id

    def make_it_so(self, world_id: UUID, what: str, why: str) -> None:
        world = self.repository.get(world_id)
        world.make_it_so(what, why)
        self.save(world)

    def get_history(self, world_id: UUID) -> List[str]:
        return list(self.repository.get(world_id).history)

    def get_reasons(self, world_id: UUID) -> List[str]:
        return list(self.repository.get(world_id).reasons)
