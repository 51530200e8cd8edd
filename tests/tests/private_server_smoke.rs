//! The private PostgreSQL server used by the fault tests starts, serves the
//! tutorial, and restarts.

use eventsmith_generated::world::Universe;
use eventsmith_tests::backends::{PrivateServer, pairs};

#[test]
fn a_private_server_serves_and_restarts() {
    let Some(server) = PrivateServer::start() else {
        return;
    };
    let app = Universe::isolated(pairs(&server.env())).unwrap();
    let id = app.create_world("Earth").unwrap();
    server.restart();
    app.make_it_so(id, "dinosaurs").unwrap();
    assert_eq!(app.get_history(id).unwrap(), ["dinosaurs"]);
}
