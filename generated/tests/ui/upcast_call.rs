// A `call:` step names a function that is not there, or one of another
// signature: the compiler's error shows the line the generator writes for
// the step (`codegen/tests/snapshots`, evolution_v3), which names the
// schema's file, line and column.
mod upgrades {
    pub fn count_words(_state: &mut serde_json::Map<String, serde_json::Value>) {}
}

::eventsmith::__upcast_call!(UPCAST__MEMO__SNAPSHOT__V2__STEP3 = upgrades::count_wordz, "schemas/memos.yaml:21:17");

::eventsmith::__upcast_call!(UPCAST__MEMO__WRITTEN__V2__STEP2 = upgrades::count_words, "schemas/memos.yaml:46:19");

fn main() {}
