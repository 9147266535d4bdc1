"""Regression figures of the racing experiment, set from measurements over 20 seeds."""

import pytest

from tracks.experiment import POST_SETTINGS, RaceConfig, run_race


def race(seed, settings=None, **race):
    config = RaceConfig(seed=seed, plots=False, progress=False, **race)
    return run_race(config, settings, write=False)


@pytest.mark.slow
def test_defaults_complete_both_tracks_in_at_least_19_of_20_seeds():
    """Measured with population 100, scale 10, rate 0.15: 20 of 20 (seeds 0-19), 40 of 40 (seeds 20-59)."""
    results = [race(seed) for seed in range(20)]
    both = sum(r.train_completed and r.best_test_completed for r in results)
    assert both >= 19


@pytest.mark.slow
def test_reference_settings_reproduce_the_post():
    """The post's GA (population 50, rate 0.1, scale 5, no elitism, 120 generations).

    Measured: the best genome completes the training track in 17 of 20 seeds; median 17 of the
    final best 20 complete the test track.
    """
    results = [race(seed, POST_SETTINGS, generations=120, extra_generations=-1, robust_samples=0)
               for seed in range(20)]
    assert sum(r.train_completed for r in results) >= 15
    completed = sorted(r.test_completed for r in results)
    assert completed[len(completed) // 2] >= 14
