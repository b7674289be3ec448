"""Where the documentation lives, so that notebooks link each estimator to its API page."""

# The documentation site, defined once: the "?" of an estimator's HTML diagram
# in a notebook (sklearn's ``_get_doc_link``) opens its API page under it.
DOCS_URL = "https://sklearn-dl.readthedocs.io/en/latest"


class DocLinkMixin:
    """Point sklearn's HTML diagram at this package's API page of the estimator.

    Listed before :class:`sklearn.base.BaseEstimator` in an estimator's bases.
    The page of ``sklearn_dl.neural_network._mlp.MLPClassifier`` is
    ``gen_modules/sklearn_dl.neural_network.MLPClassifier.html``: sklearn
    names the module up to its first private part, as the API reference does.

    Examples
    --------
    >>> from sklearn_dl.neural_network import MLPClassifier
    >>> MLPClassifier()._get_doc_link()
    'https://.../gen_modules/sklearn_dl.neural_network.MLPClassifier.html'
    """

    _doc_link_module = "sklearn_dl"
    _doc_link_template = DOCS_URL + "/gen_modules/{estimator_module}.{estimator_name}.html"
