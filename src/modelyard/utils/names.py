"""Generated run names (``adjective-animal-NNN``) and ids."""

from __future__ import annotations

import random
import uuid

__all__ = ["generate_run_name", "new_run_id", "new_model_id"]

_ADJECTIVES = (
    "amazing able bold brave bright calm clever crisp daring eager fair fancy gentle glad "
    "grand happy honest jolly keen kind lively lucky merry mighty neat nimble noble polite "
    "proud quick quiet rare rich royal shy silent sincere smart spry steady sunny swift tidy "
    "upbeat vivid warm wise witty zany"
).split()
_ANIMALS = (
    "ant bass bat bear bee bird boar carp cat colt crab crane crow deer dog dove duck eagle "
    "eel elk finch fish fox frog gnat goat goose hare hawk hen heron horse jay koala lamb lark "
    "lion lynx mole moose mouse newt owl ox panda pig pony ram rat robin seal shark sheep slug "
    "snail snake swan tiger toad trout vole whale wolf worm yak zebra"
).split()


def generate_run_name() -> str:
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_ANIMALS)}-{random.randint(0, 999)}"


def new_run_id() -> str:
    return uuid.uuid4().hex


def new_model_id() -> str:
    return "m-" + uuid.uuid4().hex
