"""Course section 6, drift monitoring: the seed's per-feature ``ks_2samp`` loop as one call.

``detect_drift`` tests every feature (KS and missing share for numbers, chi-square with missing and
unseen bins for categories), corrects the p-values across features, and flags a feature only
when the change is also large enough to matter.
"""

import modelyard as mlflow
from _data import read_customer_churn
from modelyard.demo.data import make_churn

train_data = read_customer_churn().drop("churn", axis=1)
prod_data = make_churn(1000, seed=7).drop("churn", axis=1)
prod_data["monthly_charges"] = prod_data["monthly_charges"] * 1.25  # prices went up

report = mlflow.monitoring.detect_drift(train_data, prod_data)  # the one line

print(report.to_frame()[["column", "drift", "method", "p_value_adjusted", "effect_size"]])
print("drifted:", report.drifted_columns)
print("report:", report.save_html("drift_report.html"))
if report.dataset_drift:
    print("Déclenchement du pipeline de retraining...")
    with mlflow.start_run(run_name="drift-check"):
        report.log_to_run()
