//! The error type's own tests: its size, what it shows, its sources.
use super::*;

#[test]
fn an_error_is_one_pointer_and_shows_its_kind() {
    assert_eq!(size_of::<Error>(), size_of::<usize>());
    assert_eq!(size_of::<Result<()>>(), size_of::<usize>());
    let error = Error::from(ErrorKind::VersionConflict {
        originator_id: Uuid::nil(),
        originator_version: 3,
    });
    assert!(
        error
            .to_string()
            .starts_with("version conflict: aggregate 00000000")
    );
    assert!(format!("{error:?}").starts_with("VersionConflict {"));
    assert!(matches!(
        error.into_kind(),
        ErrorKind::VersionConflict {
            originator_version: 3,
            ..
        }
    ));
}

#[test]
fn a_drivers_error_is_the_source() {
    let io = std::io::Error::other("socket closed");
    let error = Error::from(ErrorKind::Pool(DriverError {
        message: "no connection: socket closed".to_owned(),
        source: Box::new(io),
        transient: true,
    }));
    assert!(error.is_transient());
    assert_eq!(
        error.to_string(),
        "PostgreSQL connection pool: no connection: socket closed"
    );
    let source = std::error::Error::source(&error).unwrap();
    assert!(source.downcast_ref::<std::io::Error>().is_some());
    // Taken out of its box, the kind still leads to the driver's error.
    let kind = error.into_kind();
    let driver = std::error::Error::source(&kind).unwrap();
    let source = driver.source().unwrap();
    assert!(source.downcast_ref::<std::io::Error>().is_some());
}
