"""The tutorial's domain, as the Python eventsourcing library's tutorial writes it.

Its topics are universe:World.Started and universe:World.SomethingHappened,
the same as the Rust generated from schemas/world.yaml.
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

    @event("SomethingHappened")
    def make_it_so(self, what: str) -> None:
        self.history.append(what)


class Universe(Application):
    def create_world(self, name: str) -> UUID:
        world = World(name)
        self.save(world)
        return world.id

    def make_it_so(self, world_id: UUID, what: str) -> None:
        world = self.repository.get(world_id)
        world.make_it_so(what)
        self.save(world)

    def get_history(self, world_id: UUID) -> List[str]:
        return list(self.repository.get(world_id).history)
