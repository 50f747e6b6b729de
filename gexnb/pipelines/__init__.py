"""Notebook-level workflows: each notebook calls one of these modules so its cells stay short.

- :mod:`gexnb.pipelines.prep`: notebook 01 (data preparation and summaries).
- :mod:`gexnb.pipelines.promoter`: notebook 02 (BiGRU training and DREAM scoring).
- :mod:`gexnb.pipelines.landmark`: notebook 03 (D-GEX, TAAF, E-GEX and baselines).
- :mod:`gexnb.pipelines.gene_attention`: notebook 04 (attention-LSTM analysis).
"""
