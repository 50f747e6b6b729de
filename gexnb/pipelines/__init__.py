"""Notebook-level workflows: each notebook calls one of these modules so its cells stay short.

- :mod:`gexnb.pipelines.data_prep`: notebook 01 (data preparation and summaries).
- :mod:`gexnb.pipelines.promoter`: notebook 02 (BiGRU training and DREAM scoring).
- :mod:`gexnb.pipelines.landmark`: notebook 03 (D-GEX, TAAF, E-GEX and baselines), with
  :mod:`gexnb.pipelines.landmark_sizing` (paper-size dry run) and
  :mod:`gexnb.pipelines.params` (nested notebook options, model vs training parameters).
- :mod:`gexnb.pipelines.attention_lstm`: notebook 04 (attention-LSTM analysis).

Each module exposes the same steps: load the data, run the models (the registry's models of
its task, :func:`gexnb.models.available`) with a model configuration and a
:class:`gexnb.train.TrainingConfig`, and write ``metrics.json`` with the tables and figures.
"""
