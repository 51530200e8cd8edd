//! Notes, the first version of a model that evolves
//! (`schemas/evolution_v1.yaml`). `tests/fixtures/evolution_v1.db` holds
//! events this version stored; `evolution_v3` reads them.

eventsmith::include_generated!("evolution_v1");
