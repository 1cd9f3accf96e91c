"""The officer's evaluation statement (phiếu kết quả đánh giá, Decree 335 method v1 item 8).

Every figure that produced an officer's score for a period, read from the published evaluation
marts (docs/domain/evaluation-method.md): each task KPI (factual and evaluation values, target,
weight, points, the cases behind it), the general criteria per assessor, the total, the band
before and after the quota with the rule in one sentence, and the revision history of those
figures. `motcua statement --help`.
"""
