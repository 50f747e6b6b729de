"""Splits: row order (seed), random by fractions and counts, k-fold, leave-one-group-out."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gexnb.data.splits import (
    count_split,
    group_splits,
    kfold_splits,
    leave_one_group_out,
    random_split,
    row_order_split,
)
from gexnb.errors import InputError, ParameterError


def test_row_order_split_as_the_seed():
    train, val = row_order_split(10, n_train=7)
    assert train.tolist() == list(range(7)) and val.tolist() == [7, 8, 9]
    train, val = row_order_split(6_739_258, n_train=6_000_000)
    assert len(train) == 6_000_000 and len(val) == 739_258 and val[0] == 6_000_000
    for bad in (0, 11, 2.5):
        with pytest.raises(ParameterError, match="n_train"):
            row_order_split(10, n_train=bad)


def test_random_split_partitions_and_is_seeded():
    parts = random_split(1000, fractions=(0.8, 0.1, 0.1), seed=3)
    assert [len(parts[k]) for k in ("train", "val", "test")] == [800, 100, 100]
    union = np.concatenate(list(parts.values()))
    assert np.array_equal(np.sort(union), np.arange(1000))
    again = random_split(1000, seed=3)
    assert all(np.array_equal(parts[k], again[k]) for k in parts)
    other = random_split(1000, seed=4)
    assert not np.array_equal(parts["test"], other["test"])
    odd = random_split(11, fractions=(0.8, 0.1, 0.1))
    assert [len(odd[k]) for k in ("train", "val", "test")] == [9, 1, 1]


def test_random_split_with_fractions_below_one_leaves_rows_out():
    parts = random_split(100, fractions=(0.5, 0.2, 0.1))
    assert [len(parts[k]) for k in ("train", "val", "test")] == [50, 20, 10]
    with pytest.raises(ParameterError):
        random_split(100, fractions=(0.8, 0.3, 0.1))
    with pytest.raises(ParameterError):
        random_split(100, fractions=(0.8, 0.2))


def test_count_split_dgex_counts():
    parts = count_split(111_009, seed=0)
    assert [len(parts[k]) for k in ("train", "val", "test")] == [88_807, 11_101, 11_101]
    assert len(np.unique(np.concatenate(list(parts.values())))) == 111_009
    with pytest.raises(ParameterError, match="need 111009 rows but only 1000 exist"):
        count_split(1000)
    small = count_split(10, counts=(5, 2, 2), seed=1)
    assert len(set(small["train"]) | set(small["val"]) | set(small["test"])) == 9


def test_kfold_splits():
    folds = kfold_splits(23, k=5, seed=0)
    assert len(folds) == 5
    tests = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(tests), np.arange(23))
    for train, test in folds:
        assert not set(train) & set(test) and len(train) + len(test) == 23
    assert not np.array_equal(folds[0][1], np.arange(len(folds[0][1])))  # shuffled
    with pytest.raises(ParameterError, match="at least k=5 samples, got 3"):
        kfold_splits(3, k=5)
    with pytest.raises(ParameterError):
        kfold_splits(10, k=1)


def test_group_splits_leave_one_group_out():
    groups = ["b", "a", "b", "c", "a"]
    splits = group_splits(groups)
    assert [g for g, _, _ in splits] == ["a", "b", "c"]
    group, train, test = splits[0]
    assert test.tolist() == [1, 4] and train.tolist() == [0, 2, 3]
    with pytest.raises(ParameterError, match="2 distinct groups"):
        group_splits(["a", "a"])


def test_leave_one_group_out_splits():
    from gexnb.data.splits import leave_one_group_out

    groups = np.array(["a"] * 10 + ["b"] * 6 + ["c"] * 4)
    splits = leave_one_group_out(groups, val_fraction=0.25, seed=0)
    assert [g for g, _ in splits] == ["a", "b", "c"]
    for group, parts in splits:
        assert set(groups[parts["test"]]) == {group}
        rest = np.concatenate([parts["train"], parts["val"]])
        assert sorted(rest.tolist()) == np.flatnonzero(groups != group).tolist()
        assert len(parts["val"]) == max(1, round(0.25 * len(rest)))
    with pytest.raises(ParameterError, match="at least two groups"):
        leave_one_group_out(["a", "a"], val_fraction=0.2)


def test_bad_fractions_counts_and_seeds_are_refused():
    # review B20/B21/C25: NaN and seeds reached numpy and scikit-learn
    for fractions in ((np.nan, 0.1, 0.1), (0, 0, 0)):
        with pytest.raises(ParameterError, match="sum to more than 0 and at most 1"):
            random_split(10, fractions=fractions)
    with pytest.raises(ParameterError, match="counts must be three non-negative integers"):
        count_split(10, counts=(np.nan, 2, 2))
    with pytest.raises(ParameterError, match="n_train must be an integer"):
        row_order_split(10, n_train=np.nan)
    with pytest.raises(ParameterError, match="seed must be a non-negative integer, got -1"):
        random_split(10, seed=-1)
    with pytest.raises(ParameterError, match="seed must be a non-negative integer"):
        count_split(10, counts=(5, 2, 2), seed=-1)
    with pytest.raises(ParameterError, match="seed must be a non-negative integer .*'a'"):
        kfold_splits(10, k=2, seed="a")


def test_missing_group_labels_are_refused_naming_the_row():
    with pytest.raises(InputError, match=r"groups: row 2 has no group label \(None\)"):
        group_splits(["a", "b", None, np.nan])
    with pytest.raises(InputError, match=r"groups: row 1 has no group label \(nan\)"):
        group_splits(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(InputError, match="row 2 has no group label"):
        leave_one_group_out(["a", "b", None], val_fraction=0.2)


def test_empty_splits_warn():
    with pytest.warns(UserWarning, match=r"the val and test splits are empty \(3 rows\)"):
        parts = random_split(3)
    assert [len(parts[k]) for k in ("train", "val", "test")] == [3, 0, 0]
    with warnings.catch_warnings():  # a test fraction of 0 asks for no test rows
        warnings.simplefilter("error")
        parts = random_split(100, fractions=(0.9, 0.1, 0.0))
    assert [len(parts[k]) for k in ("train", "val", "test")] == [90, 10, 0]


def test_a_numpy_generator_is_a_seed():
    """Refused by the new seed check, though default_rng takes it (found by a review)."""
    a = random_split(20, seed=np.random.default_rng(3))
    b = random_split(20, seed=np.random.default_rng(3))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
