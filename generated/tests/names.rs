//! The schema of hostile names (`schemas/names.yaml`) compiles, and its
//! aggregates round-trip through storage: what was saved replays equal.

use std::collections::BTreeMap;

use eventsmith::Aggregate;
use eventsmith_generated::names::{self, Error, Iterator, Result, State};

#[test]
fn aggregates_named_like_the_prelude_round_trip() -> std::result::Result<(), eventsmith::Error> {
    let app = names::String::isolated([("COMPRESSOR_TOPIC", "zlib")])?;
    let mut result = Result::create("made", Error::Err);
    result.err(Some(-7));
    result.some("first", "an event");
    result.some("second", "another");
    result.default(41)?;
    result.put_into(
        State {
            result: "ok".into(),
            some: 3,
            none: true,
        },
        "key",
        9,
    );
    result.from(Iterator {
        into: "into".into(),
        from: None,
        clone: vec![1, 2],
    });
    assert_eq!(result.vec(), ["first", "second"]);
    assert_eq!((result.count(), result.checked()), (1, 41));
    assert_eq!(result.event(), "another");
    assert_eq!(result.aggregate(), &BTreeMap::from([("key".to_owned(), 9)]));
    app.save(&mut result)?;
    let replayed: Result = app.get_result(result.id())?;
    assert_eq!(replayed, result);
    assert_eq!(app.history(result.id())?, ["first", "second"]);

    result.none();
    app.save(&mut result)?;
    let replayed = app.get_result(result.id())?;
    assert!(replayed.vec().is_empty() && replayed.option().is_none());
    assert_eq!(replayed, result);

    let option = app.create_option("some")?;
    assert_eq!(app.get_option(option)?.some(), Some("some"));
    let vec = app.create_vec("string")?;
    assert_eq!(app.get_vec(vec)?.string(), "string");
    let via_app = app.create_result("made", Error::Default)?;
    app.some(via_app, "x", "y")?;
    app.default(via_app, 1)?;
    assert_eq!(app.get_result(via_app)?.version(), 3);
    Ok(())
}

#[test]
fn a_follower_whose_policies_are_named_like_std_methods_runs()
-> std::result::Result<(), eventsmith::Error> {
    let system = names::System::isolated([])?;
    let mut result = Result::create("made", Error::Ok);
    result.err(None);
    result.some("one", "two");
    result.from(Iterator {
        into: String::new(),
        from: None,
        clone: Vec::new(),
    });
    system.string().save(&mut result)?;
    system.string().create_vec("boxed")?;
    // Ok, Err, Some and Box are handled; From is ignored.
    assert_eq!(
        eventsmith::SingleThreadedRunner::new(system.pipes()).run()?,
        4
    );
    let mut runner = system.single_threaded()?;
    assert_eq!(runner.run()?, 0);
    let pipes = runner.stop();
    assert_eq!(pipes.len(), 1);
    assert_eq!(system.r#box().process_string(system.string())?, 0);
    assert_eq!(names::System::PIPES, &[("String", "Box")]);
    Ok(())
}
