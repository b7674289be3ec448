"""TransformerClassifier / TransformerRegressor, TransformerNet, and token input for the LSTMs."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

from sklearn_dl.modules import RecurrentNet, TransformerNet
from sklearn_dl.modules.transformer import TransformerEncoder, rotary_tables, rotate
from sklearn_dl.neural_network import (
    LSTMClassifier,
    LSTMRegressor,
    TransformerClassifier,
    TransformerRegressor,
)
from sklearn_dl.neural_network._sequence import auto_patience

TINY = {"d_model": 16, "n_heads": 2, "num_layers": 1, "dim_feedforward": 32, "max_iter": 5,
        "random_state": 0}


def retrieval_task(n_samples, timesteps, seed):
    """One marked step in the first half; the label is the sign of its value."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n_samples, timesteps, 2))
    X[:, :, 0] = rng.uniform(-1, 1, size=(n_samples, timesteps))
    marked = rng.integers(0, timesteps // 2, n_samples)
    X[np.arange(n_samples), marked, 1] = 1.0
    return X, (X[np.arange(n_samples), marked, 0] > 0).astype(int)


@pytest.mark.parametrize("options", [
    {}, {"position": "rotary"}, {"token_shift": True},
    {"position": "rotary", "token_shift": True, "scale_embedding": True, "final_norm": False}])
@pytest.mark.parametrize("pooling", ["cls", "mean", "last"])
@pytest.mark.parametrize("tokens, patch_size, patch_embedding", [
    (False, 1, "linear"), (True, 1, "linear"), (False, 3, "linear"), (False, 8, "linear"),
    (False, 1, "conv"), (False, 3, "conv"), (False, 8, "conv")])
def test_module_padding_changes_nothing_bit_for_bit(pooling, tokens, patch_size,
                                                    patch_embedding, options):
    torch.manual_seed(0)
    features = 1 if tokens else 3
    net = TransformerNet(features, 2, d_model=32, pooling=pooling, max_len=64, **options,
                         vocab_size=50 if tokens else None, patch_size=patch_size,
                         patch_embedding=patch_embedding)
    if patch_embedding == "conv":
        # Running statistics other than the initial 0 and 1 of the batch norms.
        with torch.no_grad():
            for _ in range(3):
                net(torch.randn(8, 64 * features) * 2 + 1)
    net.eval()
    # With patches, lengths that end a patch and lengths that end within one.
    for length in [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 40]:
        if tokens:
            X = torch.randint(1, 50, (3, length)).float()
            padding = torch.zeros(3, 64 - length)
        else:
            X = torch.randn(3, length * features)
            padding = torch.full((3, (64 - length) * features), float("nan"))
        padded = torch.cat([X, padding], dim=1)
        with torch.no_grad():
            assert torch.equal(net(X), net(padded)), length
            for alone, with_padding in zip(net.attention_weights(X),
                                           net.attention_weights(padded)):
                steps = alone.shape[-1]
                assert torch.equal(alone, with_padding[..., :steps, :steps])
                assert not with_padding[..., steps:, :].any()
                assert not with_padding[..., :, steps:].any()


def test_rotary_scores_depend_on_offsets_only():
    # A query at step i and a key at step j score the same as at i + s and j + s,
    # and differently at another offset.
    torch.manual_seed(0)
    q, k = torch.randn(2, 16, dtype=torch.float64)
    rotation = rotary_tables(40, 16, torch.float64, "cpu")
    turned_q = rotate(q.expand(40, 16), rotation)
    turned_k = rotate(k.expand(40, 16), rotation)
    scores = turned_q @ turned_k.T
    for offset in [-7, 0, 3, 25]:
        diagonal = torch.diagonal(scores, offset)
        assert torch.allclose(diagonal, diagonal[0].expand_as(diagonal), atol=1e-12), offset
    assert not torch.isclose(scores[0, 3], scores[0, 4])
    # Position 0 is not turned at all.
    assert torch.equal(turned_q[0], q)


def test_token_shift_reads_the_previous_token_only():
    # With attention's output silenced, a position sees its own token and, through
    # the shift, the one before: a change at step 6 reaches steps 6 and 7 only.
    torch.manual_seed(0)
    encoder = TransformerEncoder(1, d_model=16, n_heads=2, num_layers=1, dropout=0.0,
                                 max_len=12, vocab_size=20, token_shift=True).eval()
    with torch.no_grad():
        encoder.blocks[0].attention.out.weight.zero_()
        encoder.blocks[0].attention.out.bias.zero_()
    ids = torch.randint(1, 20, (1, 12)).float()
    changed = ids.clone()
    changed[0, 6] = 1 + ids[0, 6] % 19
    with torch.no_grad():
        before, after = encoder(ids)[0][0], encoder(changed)[0][0]
    moved = [step for step in range(12) if not torch.equal(before[step], after[step])]
    assert moved == [6, 7]


def test_scaled_embedding_without_final_norm_is_the_scaled_token_vectors():
    # No block, rotary positions (nothing added), no final norm: the output is the
    # token vectors times sqrt(embedding_dim).
    encoder = TransformerEncoder(1, d_model=16, num_layers=0, max_len=10, vocab_size=20,
                                 position="rotary", scale_embedding=True,
                                 final_norm=False).eval()
    ids = torch.tensor([[3.0, 7.0, 19.0, 1.0, 5.0]])
    with torch.no_grad():
        vectors = encoder(ids)[0]
        expected = encoder.input.embedding(ids.long()) * 4.0
    assert torch.equal(vectors, expected)


def test_last_pooling_reads_the_last_unpadded_position():
    # Without blocks, the output depends on the last real token alone, padded or not.
    torch.manual_seed(0)
    net = TransformerNet(1, 3, d_model=16, num_layers=0, pooling="last", max_len=10,
                         vocab_size=20).eval()
    with torch.no_grad():
        first = net(torch.tensor([[4.0, 5.0, 6.0, 0.0, 0.0]]))
        assert torch.equal(first, net(torch.tensor([[9.0, 9.0, 6.0, 0.0, 0.0]])))
        assert not torch.equal(first, net(torch.tensor([[4.0, 5.0, 7.0, 0.0, 0.0]])))
        # At the same step, 6 reads as 6 padded or not.
        assert torch.equal(first, net(torch.tensor([[4.0, 5.0, 6.0]])))


def test_estimator_padded_ragged_and_short_inputs_predict_identically(rng):
    X = rng.normal(size=(60, 10, 2))
    model = TransformerRegressor(**TINY).fit(X, X[:, :, 0].sum(axis=1))
    short = rng.normal(size=(6, 2))
    padded = np.vstack([short, np.full((4, 2), np.nan)])
    alone = model.predict(padded[None])
    batch = model.predict(np.concatenate([X[:3], padded[None]]))
    ragged = model.predict([X[0], short, X[1]])
    # Different batches may take different BLAS paths, so compare the same batch
    # shapes: the padded sequence among others, and as a ragged list.
    assert np.array_equal(model.predict(np.concatenate([X[:1], padded[None], X[1:2]])), ragged)
    np.testing.assert_allclose(batch[-1], alone[0], rtol=1e-5)
    assert np.array_equal(model.predict(short[None]), alone)
    # The padding is masked, not read as zeros.
    zero_padded = np.vstack([short, np.zeros((4, 2))])
    assert not np.isclose(model.predict(zero_padded[None])[0], alone[0], rtol=1e-3)


def test_attention_weights_are_masked_distributions(rng):
    lengths = rng.integers(2, 9, size=40)
    X = [rng.normal(size=length) for length in lengths]
    y = np.array([sequence.sum() > 0 for sequence in X]).astype(int)
    model = TransformerClassifier(**TINY).fit(X, y)
    weights = model.attention_weights(X)
    assert weights.shape == (40, 1, 2, 9, 9)   # 8 steps + the class token
    for sample, length in zip(weights, lengths):
        live = length + 1
        np.testing.assert_allclose(sample[:, :, :live, :live].sum(axis=-1), 1.0, rtol=1e-5)
        assert not sample[:, :, live:, :].any() and not sample[:, :, :, live:].any()
    mean_model = TransformerClassifier(pooling="mean", **TINY).fit(X, y)
    assert mean_model.attention_weights(X[:2]).shape == (2, 1, 2, 8, 8)


def test_marked_step_retrieved():
    # A short version of benchmarks/bench_transformer.py's 200-step task.
    X, y = retrieval_task(600, 24, seed=0)
    X_test, y_test = retrieval_task(1000, 24, seed=1)
    model = TransformerClassifier(d_model=32, learning_rate_init=0.005, max_iter=20,
                                  random_state=0).fit(X, y)
    # Measured: 0.964.
    assert model.score(X_test, y_test) >= 0.93


def test_token_input_vocab_size_auto_and_unseen_ids(rng):
    X = rng.integers(1, 12, size=(200, 8))
    X[:50, 5:] = 0                               # shorter sequences, padded with id 0
    y = (X == 3).any(axis=1).astype(int)
    model = TransformerClassifier(vocab_size="auto", learning_rate_init=0.01,
                                  **{**TINY, "max_iter": 30}).fit(X, y)
    assert model.vocab_size_ == 12 and model.input_shape_ == (8, 1)
    assert model.score(X, y) > 0.95
    # An id never seen in fit shares the unseen-token vector: predicted, not refused.
    unseen = X[:5].copy()
    unseen[:, 0] = 40
    assert model.predict(unseen).shape == (5,)
    ragged = [[3, 4, 5], [6, 7]]
    assert np.array_equal(model.predict(ragged),
                          model.predict([[3, 4, 5, 0, 0, 0, 0, 0], [6, 7, 0, 0, 0, 0, 0, 0]]))


@pytest.mark.parametrize("Estimator", [TransformerClassifier, LSTMClassifier])
@pytest.mark.parametrize("bad, message", [
    ([[1, 2, 0, 3]], "Padding .* may only end"),
    ([[1, -2, 3, 4]], "integers >= 0"),
    ([[1, 2.5, 3, 4]], "integers >= 0"),
    ([[1, 2, 3, 12]], "token id 12 but vocab_size=12"),
])
def test_bad_token_ids_are_named(Estimator, bad, message, rng):
    params = TINY if Estimator is TransformerClassifier else {"hidden_size": 4, "max_iter": 2}
    X = rng.integers(1, 12, size=(30, 4))
    model = Estimator(vocab_size=12, **params).fit(X, np.arange(30) % 2)
    with pytest.raises(ValueError, match=message):
        model.predict(bad)


def test_lstm_token_input_padding_is_packed(rng):
    X = rng.integers(1, 10, size=(150, 8))
    lengths = rng.integers(2, 9, size=150)
    X[np.arange(8) >= lengths[:, None]] = 0
    y = X[np.arange(150), lengths - 1] % 2       # parity of each sequence's own last token
    model = LSTMClassifier(vocab_size="auto", embedding_dim=8, hidden_size=16,
                           learning_rate_init=0.02, max_iter=40, random_state=0).fit(X, y)
    assert model.vocab_size_ == 10 and model.score(X, y) > 0.95
    # The trained weights on the same sequences without padding.
    short = X[lengths == 3][:4, :3]
    # Both directions (the classifier's default): the backward pass, too, starts at
    # each sequence's own last token.
    alone = RecurrentNet((3, 1), 1, hidden_size=16, vocab_size=10, embedding_dim=8,
                         bidirectional=True).eval()
    alone.load_state_dict(model.module_.state_dict())
    with torch.no_grad():
        expected = alone(torch.as_tensor(short, dtype=torch.float32)).numpy()[:, 0]
    padded = np.hstack([short, np.zeros((4, 5), dtype=int)])
    np.testing.assert_allclose(model.predict_proba(padded)[:, 1], 1 / (1 + np.exp(-expected)),
                               rtol=1e-5)
    regressor = LSTMRegressor(vocab_size=10, hidden_size=4, max_iter=2, random_state=0)
    assert regressor.fit(X, y.astype(float)).vocab_size_ == 10


def test_deterministic_with_random_state_and_pickle_round_trip(rng):
    X = rng.normal(size=(50, 6, 2))
    y = (X[:, 0, 0] > X[:, -1, 1]).astype(int)
    first = TransformerClassifier(**TINY).fit(X, y)
    second = clone(first).fit(X, y)
    assert np.array_equal(first.predict_proba(X), second.predict_proba(X))
    loaded = pickle.loads(pickle.dumps(first))
    assert np.array_equal(loaded.predict_proba(X), first.predict_proba(X))
    assert np.array_equal(loaded.attention_weights(X[:3]), first.attention_weights(X[:3]))


@pytest.mark.parametrize("params", [
    {"pooling": "mean"}, {"pooling": "last"}, {"position": "learned"}, {"position": "rotary"},
    {"token_shift": True},
    {"num_layers": 2, "dropout": 0.0},
    {"max_len": 20}, {"precision": "float64"}, {"precision": "bf16"},
])
def test_architectures(params, rng):
    X = rng.normal(size=(40, 6, 3))
    model = TransformerRegressor(**{**TINY, **params}).fit(X, X[:, 2, 0])
    assert model.predict(X).shape == (40,)


def test_bad_architecture_named(rng):
    X = rng.normal(size=(20, 6, 3))
    with pytest.raises(ValueError, match="d_model=10 must be a multiple of n_heads=4"):
        TransformerClassifier(d_model=10, max_iter=1).fit(X, np.arange(20) % 2)
    with pytest.raises(ValueError, match="6 steps but max_len=4"):
        TransformerClassifier(max_len=4, max_iter=1).fit(X, np.arange(20) % 2)
    model = TransformerClassifier(max_len=4, max_iter=1)
    with pytest.raises(ValueError):
        model.fit(X, np.arange(20) % 2)
    assert not hasattr(model, "input_shape_")


def test_sample_weight_equivalence_full_batch():
    # Full batch, no dropout, double precision: weighting must equal repeating. 20
    # L-BFGS iterations: further on, the last-bit differences of summing the loss in
    # another order can flip a line-search decision and take the two fits apart.
    check_sample_weight_equivalence_on_dense_data(
        "TransformerRegressor",
        TransformerRegressor(d_model=8, n_heads=2, num_layers=1, dim_feedforward=8, dropout=0.0,
                             solver="lbfgs", max_iter=20, precision="float64"))


def test_plot_attention_labels_tokens_of_a_text_pipeline():
    import matplotlib

    matplotlib.use("Agg")
    from sklearn.pipeline import make_pipeline

    from sklearn_dl.text import TokenSequencer
    from sklearn_dl.utils import plot_attention

    texts = ["the film was good", "the film was not good", "a dull plot"] * 5
    model = make_pipeline(TokenSequencer(), TransformerClassifier(
        vocab_size="auto", pooling="cls", **TINY)).fit(texts, [1, 0, 0] * 5)
    ax = plot_attention(model, ["the plot was good"], head=1)
    assert [label.get_text() for label in ax.get_xticklabels()] == [
        "[CLS]", "the", "plot", "was", "good"]
    assert ax.images[0].get_array().shape == (5, 5)
    # pooling='auto' reads the mean of the words: no class token.
    model.set_params(transformerclassifier__pooling="auto").fit(texts, [1, 0, 0] * 5)
    ax = plot_attention(model, ["the plot was good"], head=1)
    assert [label.get_text() for label in ax.get_xticklabels()] == [
        "the", "plot", "was", "good"]
    with pytest.raises(ValueError, match="draws one sequence; X holds 2"):
        plot_attention(model, texts[:2])
    with pytest.raises(ValueError, match="has no attention weights"):
        plot_attention(LSTMClassifier(hidden_size=4, max_iter=1).fit(
            np.zeros((10, 3)), np.arange(10) % 2), np.zeros((1, 3)))


def test_default_learns_from_a_few_dozen_sequences():
    # 60 training sequences: sklearn's batch_size (all 60, one step per epoch)
    # and n_iter_no_change=10 stop the Transformer at the start.
    X, y = retrieval_task(60, 24, seed=0)
    X_test, y_test = retrieval_task(1000, 24, seed=1)
    model = TransformerClassifier(random_state=0).fit(X, y)
    # Measured: 0.943 after 200 epochs (seeds 1, 2: 0.956, 0.941).
    assert model.score(X_test, y_test) >= 0.9
    sklearn_rule = TransformerClassifier(random_state=0, batch_size=60,
                                         n_iter_no_change=10).fit(X, y)
    # Measured: stopped after 34 epochs at 0.551.
    assert sklearn_rule.n_iter_ < 50 and sklearn_rule.score(X_test, y_test) < 0.7


@pytest.mark.parametrize("n_samples, batch_size, patience", [
    (20, 20, 200), (60, 32, 100), (500, 32, 13), (3200, 32, 10), (30_000, 200, 10)])
def test_auto_patience_is_counted_in_optimiser_steps(n_samples, batch_size, patience):
    assert TransformerClassifier()._effective_batch_size(n_samples) == batch_size
    assert auto_patience(-(-n_samples // batch_size)) == patience


def test_auto_batches_of_a_signal_read_in_patches_are_of_equal_sizes(rng):
    # 36 smooth series (patches of 8): two batches of 18, not 32 and a noisy 4;
    # 36 series of noise (one step per position) keep batches of 32 and 4.
    signals = np.cumsum(rng.normal(size=(36, 32, 1)), axis=1)
    noise = rng.normal(size=(36, 32, 1))
    y = np.arange(36) % 2
    smooth = TransformerClassifier(**{**TINY, "max_iter": 1}).fit(signals, y)
    assert smooth.patch_size_ == 8 and smooth.net_.batch_size == 18
    steps = TransformerClassifier(**{**TINY, "max_iter": 1}).fit(noise, y)
    assert steps.patch_size_ == 1 and steps.net_.batch_size == 32
    fixed = TransformerClassifier(**{**TINY, "max_iter": 1}, batch_size=32).fit(signals, y)
    assert fixed.net_.batch_size == 32
    # 50 series: 25 and 25; 67: 23, 23, 21; from 100 series on, 32 as before.
    smooth.patch_size_ = 8
    assert [smooth._effective_batch_size(n) for n in (50, 67, 99, 100, 200)] == [
        25, 23, 25, 32, 32]


def test_auto_patience_reaches_the_stopping_rule(rng):
    X, y = rng.normal(size=(60, 5, 1)), rng.integers(0, 2, size=60)
    model = TransformerClassifier(**{**TINY, "max_iter": 1}).fit(X, y)
    assert model.net_.batch_size == 32
    stopping = dict(model.net_.callbacks_)["sklearn_stopping"]
    assert stopping.n_iter_no_change == 100 and stopping.wait_for_progress
    sklearn_rule = TransformerClassifier(**{**TINY, "max_iter": 1}, n_iter_no_change=10,
                                         batch_size=60).fit(X, y)
    stopping = dict(sklearn_rule.net_.callbacks_)["sklearn_stopping"]
    assert stopping.n_iter_no_change == 10 and not stopping.wait_for_progress


def test_docstrings_state_the_defaults_that_differ_from_sklearns():
    for Estimator in (TransformerClassifier, TransformerRegressor):
        doc = Estimator.__doc__
        assert "n_iter_no_change : int or 'auto', default='auto'" in doc
        assert "``'auto'`` is 10 epochs or 200 optimiser steps" in doc
        assert "``'auto'`` is ``n_samples // 100`` clipped" in doc
        assert "max_grad_norm : float or None, default=1.0" in doc
    assert "one_hot_input : {'auto', False}, default='auto'" in TransformerClassifier.__doc__
    assert "one_hot_input" not in TransformerRegressor.__doc__


def test_the_panels_retrieval_task_marks_one_step_in_the_middle_third():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "benchmarks" / "defaults.py"
    spec = importlib.util.spec_from_file_location("defaults_panel", path)
    panel = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(panel)
    X, y = panel.retrieval_task(np.random.default_rng(0), 300, 200)
    assert X.shape == (300, 200, 2) and set(np.unique(X[:, :, 1])) == {0.0, 1.0}
    assert np.all(X[:, :, 1].sum(axis=1) == 1)
    marked = X[:, :, 1].argmax(axis=1)
    # At least 66 steps from either end, so neither direction of an LSTM reads it late.
    assert marked.min() >= 66 and 199 - marked.max() >= 66
    np.testing.assert_array_equal(y, X[np.arange(300), marked, 0] > 0)
    assert 0.4 < y.mean() < 0.6


def test_classifier_feeds_codes_one_hot_and_masks_their_padding(rng, tmp_path):
    from sklearn_dl import load, save

    codes = rng.integers(0, 5, size=(40, 6)).astype(float)
    X = np.stack([codes, rng.normal(size=(40, 6)), rng.integers(0, 2, size=(40, 6))], axis=2)
    X[0, 4:] = np.nan  # padding
    y = rng.integers(0, 2, size=40)
    model = TransformerClassifier(**TINY).fit(X, y)
    np.testing.assert_array_equal(model.input_categories_[0], [0, 1, 2, 3, 4])
    # Real numbers and a two-valued feature (an indicator already) stay numbers.
    assert model.input_categories_[1:] == [None, None]
    assert model.module_.encoder.projection.in_features == 3 + 5
    sample = X[:1].copy()
    sample[0, 0, 0] = 7.0  # a code not seen in fit sets no indicator
    steps = model._validate_X(sample, reset=False).reshape(6, 8)
    np.testing.assert_array_equal(steps[:4, :3], sample[0, :4])  # the features as they are
    np.testing.assert_array_equal(steps[0, 3:], [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(steps[1, 3:], np.eye(5)[int(codes[0, 1])])
    assert np.isnan(steps[4:]).all()  # padding stays padding in every indicator
    # Padding changes nothing, bit for bit (the same batch shapes, as above).
    short = X[0, :4]
    ragged = model.predict_proba([X[1], short, X[2]])
    assert np.array_equal(model.predict_proba(X[[1, 0, 2]]), ragged)
    assert np.array_equal(model.predict_proba(short[None]), model.predict_proba(X[:1]))
    # The saved network is rebuilt with the indicators' width, and keeps the codes.
    save(model, tmp_path / "codes.safetensors")
    loaded = load(tmp_path / "codes.safetensors")
    np.testing.assert_array_equal(loaded.input_categories_[0], model.input_categories_[0])
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert np.array_equal(pickle.loads(pickle.dumps(model)).predict_proba(X),
                          model.predict_proba(X))
    plain = TransformerClassifier(**TINY, one_hot_input=False).fit(X, y)
    assert plain.input_categories_ == [None, None, None]
    assert plain.module_.encoder.projection.in_features == 3
    # Token ids go through their embedding, never one-hot.
    tokens = TransformerClassifier(**TINY, vocab_size="auto").fit(codes + 1, y)
    assert tokens.input_categories_ == [None]
    # The regressor reads its features as they are.
    regressor = TransformerRegressor(**TINY).fit(X, y.astype(float))
    assert not hasattr(regressor, "one_hot_input")
    assert not hasattr(regressor, "input_categories_")
    assert regressor.module_.encoder.projection.in_features == 3


def test_classifier_one_hot_input_is_validated(rng):
    X = rng.integers(0, 5, size=(20, 6, 1)).astype(float)
    with pytest.raises(ValueError, match="'one_hot_input' parameter"):
        TransformerClassifier(**TINY, one_hot_input=True).fit(X, np.arange(20) % 2)


def test_classifier_counts_codes_with_their_indicators():
    def counting(n, seed):
        X = np.random.default_rng(seed).integers(0, 5, size=(n, 10)).astype(float)
        return X[:, :, None], ((X == 3).sum(1) > (X == 1).sum(1)).astype(int)

    X, y = counting(300, 0)
    X_test, y_test = counting(1000, 1)
    model = TransformerClassifier(d_model=16, num_layers=1, dim_feedforward=32, max_iter=60,
                                  random_state=0).fit(X, y)
    # Measured: 0.982; 0.800 with one_hot_input=False (each code read as one number).
    assert model.score(X_test, y_test) >= 0.95


def test_early_stopping_and_pooling_auto_switch_on_for_token_ids_only(rng):
    tokens = rng.integers(1, 20, size=(120, 6))
    y_tokens = (tokens == 3).any(axis=1).astype(int)
    model = TransformerClassifier(vocab_size="auto", **TINY).fit(tokens, y_tokens)
    # A validation set of 12 sequences was held out; mean pooling: no class token.
    assert len(model.validation_scores_) == model.n_iter_ and model.best_loss_ is None
    assert model.attention_weights(tokens[:2]).shape == (2, 1, 2, 6, 6)
    explicit = TransformerClassifier(vocab_size="auto", early_stopping=True, pooling="mean",
                                     **TINY).fit(tokens, y_tokens)
    np.testing.assert_array_equal(model.predict_proba(tokens), explicit.predict_proba(tokens))

    # Numeric sequences: sklearn's behaviour (no hold-out) and the class token, bit for bit.
    X = rng.normal(size=(60, 6, 2))
    y = (X[:, 0, 0] > 0).astype(int)
    numeric = TransformerClassifier(**TINY).fit(X, y)
    assert numeric.validation_scores_ is None and numeric.best_loss_ is not None
    assert numeric.attention_weights(X[:2]).shape == (2, 1, 2, 7, 7)
    before = TransformerClassifier(early_stopping=False, pooling="cls", **TINY).fit(X, y)
    np.testing.assert_array_equal(numeric.predict_proba(X), before.predict_proba(X))

    # The regressor follows the same rule (validation R^2 on token ids).
    regressor = TransformerRegressor(vocab_size="auto", **TINY).fit(tokens, tokens.sum(axis=1))
    assert len(regressor.validation_scores_) == regressor.n_iter_
    assert regressor.net_.module_.pooling == "mean"
    numeric = TransformerRegressor(**TINY).fit(X, X[:, 0, 0])
    assert numeric.validation_scores_ is None and numeric.net_.module_.pooling == "cls"


def test_early_stopping_auto_trains_on_everything_where_nothing_can_be_held_out(rng):
    # partial_fit trains one epoch without a validation set (True raises there).
    tokens = rng.integers(1, 20, size=(40, 5))
    y = np.arange(40) % 2
    model = TransformerClassifier(vocab_size="auto", **TINY)
    model.partial_fit(tokens, y, classes=[0, 1])
    assert model.validation_scores_ is None and model.n_iter_ == 1
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        TransformerClassifier(vocab_size="auto", early_stopping=True,
                              **TINY).partial_fit(tokens, y, classes=[0, 1])
    # Too few texts for a validation set, or a class seen once: fit on every sample.
    for few, labels in [(tokens[:8], y[:8]), (tokens[:30], np.r_[np.zeros(29), 1])]:
        fitted = TransformerClassifier(vocab_size="auto", **TINY).fit(few, labels)
        assert fitted.validation_scores_ is None
        with pytest.raises(ValueError):
            TransformerClassifier(vocab_size="auto", early_stopping=True, **TINY).fit(few, labels)
    # lbfgs ignores early stopping, as in sklearn.
    lbfgs = TransformerClassifier(vocab_size="auto", solver="lbfgs", **TINY).fit(tokens, y)
    assert lbfgs.validation_scores_ is None


def test_patches_group_consecutive_steps_and_are_padding_only_if_all_their_steps_are():
    from sklearn_dl.modules.transformer import patches

    steps = torch.arange(2 * 5 * 2, dtype=torch.float32).view(2, 5, 2)
    padding = torch.tensor([[False] * 5, [False, False, False, True, True]])
    grouped, grouped_padding = patches(steps, padding, 2)
    assert grouped.shape == (2, 3, 4)
    # Step-major: step 0's features, then step 1's; the last patch completed with zeros.
    assert grouped[0, 0].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert grouped[0, 2].tolist() == [8.0, 9.0, 0.0, 0.0]
    # Steps 2 (real) and 3 (padding) make a real patch; step 4 alone is padding.
    assert grouped_padding.tolist() == [[False, False, False], [False, False, True]]


def _signal(rng, n_samples, timesteps):
    """Smooth random curves: neighbouring steps are alike (lag-1 autocorrelation near 1)."""
    t = np.linspace(0, 1, timesteps)
    phase = rng.uniform(0, 2 * np.pi, size=(n_samples, 1))
    return np.sin(2 * np.pi * t + phase) + 0.05 * rng.normal(size=(n_samples, timesteps))


def test_auto_patch_size_groups_the_steps_of_signals_only(rng):
    y = rng.integers(0, 2, size=40)
    fit = {**TINY, "max_iter": 1}
    signal = TransformerClassifier(**fit).fit(_signal(rng, 40, 30), y)
    assert signal.patch_size_ == 8 and signal.patch_embedding_ == "conv"
    # Signals are shifted by up to 5 % of their steps in training: 30 // 20.
    assert signal.augmentation_ == {"shift": 1}
    assert signal.module_.encoder.projection.patch_size == 8
    # 30 steps make 4 positions, pooled by their mean (no class token).
    assert signal.module_.pooling == "mean"
    assert signal.attention_weights(_signal(rng, 2, 30)).shape == (2, 1, 2, 4, 4)
    linear = TransformerClassifier(**fit, patch_embedding="linear").fit(_signal(rng, 40, 30), y)
    assert linear.patch_size_ == 8 and linear.module_.encoder.projection.in_features == 8
    # Linear patches keep the class token: 4 positions plus one.
    assert linear.attention_weights(_signal(rng, 2, 30)).shape == (2, 1, 2, 5, 5)
    others = {
        "noise": rng.normal(size=(40, 30)),
        "codes": rng.integers(0, 5, size=(40, 30)).astype(float),
        "a short signal": _signal(rng, 40, 15),
    }
    for name, X in others.items():
        model = TransformerClassifier(**fit).fit(X, y)
        assert (model.patch_size_, model.patch_embedding_, model.module_.pooling) == (
            1, "linear", "cls"), name
        assert model.augmentation_ is None and model.module_.augmentation is None, name
    tokens = TransformerClassifier(**fit, vocab_size="auto").fit(rng.integers(1, 9, (40, 30)), y)
    assert tokens.patch_size_ == 1 and tokens.patch_embedding_ == "linear"
    assert tokens.augmentation_ is None
    assert linear.augmentation_ is None
    assert TransformerRegressor(**fit).fit(_signal(rng, 40, 30), y).patch_size_ == 8
    # A given size is kept, for any numeric input.
    assert TransformerClassifier(**fit, patch_size=3).fit(others["noise"], y).patch_size_ == 3
    assert TransformerClassifier(**fit, patch_size=1).fit(_signal(rng, 40, 30), y).patch_size_ == 1


def test_patch_size_with_token_ids_is_refused(rng):
    with pytest.raises(ValueError, match=r"patch_size=4 needs numeric input; token ids "
                                         r"\(vocab_size\) are read one per position\."):
        TransformerClassifier(**TINY, vocab_size="auto", patch_size=4).fit(
            rng.integers(1, 9, (40, 30)), rng.integers(0, 2, size=40))
    with pytest.raises(ValueError, match=r"patch_embedding='conv' needs numeric input; token "
                                         r"ids \(vocab_size\) go through their embedding\."):
        TransformerClassifier(**TINY, vocab_size="auto", patch_embedding="conv").fit(
            rng.integers(1, 9, (40, 30)), rng.integers(0, 2, size=40))


def test_batch_norm_of_the_convolutions_ignores_padding_in_training():
    from sklearn_dl.modules.transformer import MaskedBatchNorm

    torch.manual_seed(0)
    x = torch.randn(2, 6, 3)
    padding = torch.tensor([[False] * 6, [False] * 4 + [True] * 2])
    norm = MaskedBatchNorm(3, momentum=1.0)
    out = norm(x.masked_fill(padding.unsqueeze(2), 1e3), padding)
    real = x[~padding]  # the 10 unpadded steps
    expected = (real - real.mean(0)) / torch.sqrt(real.var(0, correction=0) + norm.eps)
    torch.testing.assert_close(out[~padding], expected)
    # The running statistics are those of the unpadded steps (variance unbiased, as torch's).
    torch.testing.assert_close(norm.running_mean, real.mean(0))
    torch.testing.assert_close(norm.running_var, real.var(0))


def test_patched_estimator_predicts_padded_and_ragged_sequences_identically(rng, tmp_path):
    from sklearn_dl import load, save

    X = _signal(rng, 60, 30)
    model = TransformerRegressor(**TINY).fit(X, X[:, 10])
    assert model.patch_size_ == 8
    short = X[0, :13]
    # 13 steps: a patch completed by 3 steps of padding, the rest padding only.
    padded = np.concatenate([short, np.full(17, np.nan)])
    assert np.array_equal(model.predict(np.stack([X[1], padded])),
                          model.predict([X[1], short]))
    path = tmp_path / "patched.safetensors"
    save(model, path)
    loaded = load(path)
    assert loaded.patch_size_ == 8
    assert np.array_equal(loaded.predict(X[:5]), model.predict(X[:5]))


def test_plot_attention_labels_patches_with_their_steps(rng):
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_dl.utils import plot_attention

    X = _signal(rng, 40, 20)
    model = TransformerClassifier(**{**TINY, "max_iter": 1}, pooling="cls").fit(
        X, rng.integers(0, 2, 40))
    ax = plot_attention(model, X[:1])
    assert [label.get_text() for label in ax.get_xticklabels()] == [
        "[CLS]", "0-7", "8-15", "16-19"]


def test_augmentation_shifts_training_batches_only_and_keeps_padding_at_the_end(rng):
    from sklearn_dl.modules import BatchAugmentation

    torch.manual_seed(0)
    net = TransformerNet(2, 3, d_model=16, n_heads=2, patch_size=4, patch_embedding="conv",
                         pooling="mean", augmentation=BatchAugmentation(shift=3))
    plain = TransformerNet(2, 3, d_model=16, n_heads=2, patch_size=4, patch_embedding="conv",
                           pooling="mean")
    plain.load_state_dict(net.state_dict())
    X = torch.randn(5, 20 * 2)
    X[0, 2 * 12:] = float("nan")  # 12 steps, then padding
    net.eval(), plain.eval()
    with torch.no_grad():
        assert torch.equal(net(X), plain(X))
    # In training, the steps are translated by up to 3 either way, edge values
    # repeated: the padding of a sequence stays one block at its end.
    net.augmentation.generator = torch.Generator().manual_seed(0)
    shifted = net.augmentation.train()(X.unflatten(1, (20, 2)).movedim(2, 1))
    real = ~shifted[0].isnan().any(dim=0)
    assert real.all() or (real.int().diff() <= 0).all()
    assert 9 <= int(real.sum()) <= 15 and not real.all()
    with pytest.raises(ValueError, match="augmentation needs numeric input, not token ids."):
        TransformerNet(1, 2, vocab_size=10, augmentation=BatchAugmentation(shift=1))


def test_augmentation_is_validated_and_kept_as_given(rng):
    X, y = _signal(rng, 40, 30), rng.integers(0, 2, size=40)
    fit = {**TINY, "max_iter": 1}
    model = TransformerClassifier(**fit, augmentation={"shift": 2, "scale": 0.1}).fit(X, y)
    assert model.augmentation_ == {"shift": 2, "scale": 0.1}
    assert (model.module_.augmentation.shift, model.module_.augmentation.scale) == (2, 0.1)
    assert TransformerClassifier(**fit, augmentation=None).fit(X, y).module_.augmentation is None
    # Flips would move the padding to the front, noise reads a series' spread.
    with pytest.raises(ValueError, match=r"Unknown augmentation \['flip'\]; the keys are "
                                         r"\['shift', 'scale'\]\."):
        TransformerClassifier(**fit, augmentation={"flip": True}).fit(X, y)
    with pytest.raises(ValueError, match=r"augmentation\['shift'\] must be an int >= 0, "
                                         r"got -1\."):
        TransformerRegressor(**fit, augmentation={"shift": -1}).fit(X, y)
    with pytest.raises(ValueError, match=r"augmentation needs numeric input; token ids "
                                         r"\(vocab_size\) are not augmented\."):
        TransformerClassifier(**fit, vocab_size="auto", augmentation={"shift": 1}).fit(
            rng.integers(1, 9, (40, 30)), y)
