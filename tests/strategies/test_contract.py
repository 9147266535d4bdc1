"""The ask/tell contract, checked for every registered strategy with no special cases by name."""

import json
import re
from dataclasses import fields

import numpy as np
import pytest

from neuroevo import XOR, Population
from neuroevo.strategies import STRATEGIES, make_strategy
from neuroevo.strategies.base import state_from_arrays, state_to_arrays

NAMES = sorted(STRATEGIES)
D = 6


def build(name, population_size=8):
    cls = STRATEGIES[name]
    return cls(cls.Config(population_size=population_size), num_params=D)


def sphere(genomes):
    return -np.sum((genomes - 0.5) ** 2, axis=1)


def freeze(state):
    for f in fields(state):
        v = getattr(state, f.name)
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
    return state


def array_fields(state):
    return {f.name: getattr(state, f.name) for f in fields(state)
            if isinstance(getattr(state, f.name), np.ndarray)}


def assert_states_equal(a, b):
    assert type(a) is type(b)
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


def run(strategy, generations, seed=0, transform=lambda f: f):
    rng = np.random.default_rng(seed)
    state = strategy.init(np.full(D, 0.1))
    asked = []
    for _ in range(generations):
        genomes, state = strategy.ask(freeze(state), rng)
        asked.append(genomes.copy())
        state, _ = strategy.tell(freeze(state), genomes, transform(sphere(genomes)))
    return asked, state


@pytest.mark.parametrize("name", NAMES)
def test_ask_tell_contract(name):
    strategy = build(name)
    state = strategy.init(np.zeros(D))
    genomes, state = strategy.ask(state, np.random.default_rng(0))
    assert genomes.shape == (8, D) and genomes.dtype == np.float64 and np.all(np.isfinite(genomes))
    state, metrics = strategy.tell(state, genomes, sphere(genomes))
    assert state.generation == 1
    assert strategy.mean(state).shape == (D,)
    assert metrics["fitness_max"] == pytest.approx(sphere(genomes).max())
    assert all(isinstance(v, (int, float)) and np.isfinite(v) for v in metrics.values())


@pytest.mark.parametrize("name", NAMES)
def test_default_config_is_usable(name):
    strategy = STRATEGIES[name](num_params=D)
    genomes, state = strategy.ask(strategy.init(), np.random.default_rng(0))
    assert genomes.shape == (strategy.population_size, D)


@pytest.mark.parametrize("name", NAMES)
def test_config_and_keyword_constructors_agree(name):
    cls = STRATEGIES[name]
    a = cls(cls.Config(population_size=8), num_params=D)
    b = cls(num_params=D, population_size=8)
    assert a.config == b.config and a.population_size == 8
    state = a.init()
    assert np.array_equal(state.mean, np.zeros(D)) and state.generation == 0
    assert a.init(np.arange(D)).mean.dtype == np.float64


@pytest.mark.parametrize("name", NAMES)
def test_state_is_never_written_in_place(name):
    asked, state = run(build(name), 4)       # freeze() makes every in-place write raise
    assert state.generation == 4 and len(asked) == 4


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_genomes(name):
    a, state_a = run(build(name), 4, seed=3)
    b, state_b = run(build(name), 4, seed=3)
    c, _ = run(build(name), 4, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert_states_equal(state_a, state_b)
    assert not np.array_equal(a[-1], c[-1])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("transform", [lambda f: 3.0 * f - 5.0, np.arctan, np.cbrt, lambda f: -np.exp(-f / 100),
                                       lambda f: np.exp(f / 3.0) * 7.0 - 2.0],
                         ids=["affine", "arctan", "cbrt", "exp-decay", "exp"])
def test_invariant_to_strictly_increasing_fitness_transforms(name, transform):
    a, _ = run(build(name), 10, seed=1)
    b, _ = run(build(name), 10, seed=1, transform=transform)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("name", NAMES)
def test_non_finite_fitness_is_ranked_last_and_never_reaches_the_state(name):
    strategy = build(name)
    rng = np.random.default_rng(5)
    state = strategy.init(np.zeros(D))
    for gen in range(4):
        genomes, state = strategy.ask(state, rng)
        fitness = sphere(genomes)
        fitness[gen % 8] = np.nan
        fitness[(gen + 3) % 8] = np.inf
        fitness[(gen + 5) % 8] = -np.inf
        state, metrics = strategy.tell(state, genomes, fitness)
        assert metrics["nonfinite"] == 3
        for f in fields(state):
            v = getattr(state, f.name)
            if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                assert np.all(np.isfinite(v) | (v == -np.inf)), f.name
    genomes, _ = strategy.ask(state, rng)
    assert np.all(np.isfinite(genomes))


@pytest.mark.parametrize("name", NAMES)
def test_nan_and_inf_count_exactly_as_one_tied_worst_fitness(name):
    strategy = build(name)
    _, state = run(strategy, 2, seed=6)
    genomes, state = strategy.ask(state, np.random.default_rng(6))
    fitness = sphere(genomes)
    best, other = int(np.argmax(fitness)), int(np.argmin(fitness))
    bad = fitness.copy()
    bad[best], bad[other] = np.nan, np.inf        # the best genome crashed, the worst "overflowed"
    worse = fitness.copy()
    worse[[best, other]] = fitness.min() - 1.0    # both become one tied worst value
    got, metrics = strategy.tell(state, genomes, bad)
    expected, _ = strategy.tell(state, genomes, worse)
    assert metrics["nonfinite"] == 2
    for k, v in array_fields(got).items():
        e = getattr(expected, k)
        # a stored fitness may record the non-finite value itself, as -inf, where the worst value stood
        np.testing.assert_array_equal(np.where(np.isneginf(v) & ~np.isneginf(e), e, v), e, err_msg=k)


@pytest.mark.parametrize("name", NAMES)
def test_a_generation_without_finite_fitness_changes_nothing_but_the_count(name):
    strategy = build(name)
    _, state = run(strategy, 2, seed=0)
    genomes, state = strategy.ask(state, np.random.default_rng(0))
    new, metrics = strategy.tell(state, genomes, np.array([np.nan, np.inf, -np.inf, np.nan] * 2))
    assert metrics["nonfinite"] == 8 and new.generation == state.generation + 1
    for f in fields(new):
        if f.name != "generation":
            np.testing.assert_array_equal(getattr(new, f.name), getattr(state, f.name), err_msg=f.name)
    genomes, _ = strategy.ask(new, np.random.default_rng(1))
    assert np.all(np.isfinite(genomes))


@pytest.mark.parametrize("name", NAMES)
def test_state_round_trips_through_json_and_resumes_exactly(name):
    strategy = build(name)
    rng = np.random.default_rng(8)
    state = strategy.init(np.full(D, 0.2))
    for _ in range(6):
        arrays, scalars = state_to_arrays(state)
        assert all(v is None or isinstance(v, int | float | bool | str) for v in scalars.values())
        restored = state_from_arrays(type(state), {k: v.copy() for k, v in arrays.items()},
                                     json.loads(json.dumps(scalars)))
        assert_states_equal(state, restored)
        twin = np.random.default_rng(0)
        twin.bit_generator.state = rng.bit_generator.state
        expected, _ = strategy.ask(restored, twin)
        genomes, state = strategy.ask(state, rng)
        assert np.array_equal(genomes, expected)
        state, _ = strategy.tell(state, genomes, sphere(genomes))


@pytest.mark.parametrize("name", NAMES)
def test_population_checkpoint_resumes_exactly(name, tmp_path):
    sim = XOR(backend="numpy")
    pop = Population([2, 2, 1], name, seed=4, population_size=8)
    pop.evolve(sim, 3, progress=False)
    resumed = Population.load(pop.save(tmp_path / "ck.npz"))
    assert resumed.strategy.config == pop.strategy.config
    assert np.array_equal(resumed.ask_next(), pop.ask_next())
    pop.evolve(sim, 2, progress=False)
    resumed.evolve(sim, 2, progress=False)
    assert np.array_equal(resumed.genomes, pop.genomes)
    assert_states_equal(resumed.state, pop.state)


@pytest.mark.parametrize("name", NAMES)
def test_wrong_fitness_and_genome_shapes_are_rejected(name):
    strategy = build(name)
    genomes, state = strategy.ask(strategy.init(), np.random.default_rng(0))
    with pytest.raises(ValueError, match=re.escape("fitness must have shape (8,), one value per genome "
                                                   "from ask(); got (7,)")):
        strategy.tell(state, genomes, np.zeros(7))
    with pytest.raises(ValueError, match=re.escape(f"genomes must have {D} columns")):
        strategy.tell(state, genomes[:, :-1], np.zeros(8))
    with pytest.raises(ValueError, match=re.escape(f"must have shape (8, {D}), the array ask() returned; "
                                                   f"got (7, {D})")):
        strategy.tell(state, genomes[:-1], np.zeros(8))
    with pytest.raises(TypeError, match=re.escape("fitness must be numeric")):
        strategy.tell(state, genomes, np.array(["a"] * 8))


@pytest.mark.parametrize("name", NAMES)
def test_population_below_the_minimum_is_rejected(name):
    cls = STRATEGIES[name]
    with pytest.raises(ValueError, match=r"population_size must be >= \d+; got 1"):
        cls(cls.Config(population_size=1), num_params=D)


@pytest.mark.parametrize("name", NAMES)
def test_x0_is_checked(name):
    strategy = build(name)
    with pytest.raises(ValueError, match=re.escape(f"x0 must have shape ({D},); got (3,)")):
        strategy.init(np.zeros(3))


def test_make_strategy_errors():
    with pytest.raises(ValueError, match=re.escape("unknown strategy 'cma'; choose one of")):
        make_strategy("cma", 5)
    with pytest.raises(TypeError, match=re.escape("strategy must be a name from")):
        make_strategy(3, 5)
    built = make_strategy("rank_ga", 5)
    with pytest.raises(ValueError, match=re.escape("strategy was built for num_params=5 but the network has 7")):
        make_strategy(built, 7)
    with pytest.raises(TypeError, match=re.escape("cannot be applied to an existing")):
        make_strategy(built, 5, rate=0.2)


def test_every_registered_class_is_public():
    import neuroevo
    import neuroevo.strategies as strategies

    for cls in STRATEGIES.values():
        assert getattr(neuroevo, cls.__name__) is cls and cls.__name__ in neuroevo.__all__
        assert cls.__name__ in strategies.__all__
