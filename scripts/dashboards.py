"""Write the dashboards in deploy/dashboards/: Grafana over the daemon's /metrics, CloudWatch over
the `sagescale` namespace. Run from the repository root: python3 scripts/dashboards.py.
tests/deploy_files.rs checks every metric they name against what the daemon exports."""
import json
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "deploy", "dashboards")
ds = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}


def ts(id, title, exprs, x, y, w=12, h=8, unit=None, desc=""):
    return {"id": id, "type": "timeseries", "title": title, "description": desc, "datasource": ds,
            "gridPos": {"x": x, "y": y, "w": w, "h": h},
            "targets": [{"refId": chr(65 + i), "expr": e, "legendFormat": l, "datasource": ds}
                        for i, (e, l) in enumerate(exprs)],
            "fieldConfig": {"defaults": {"unit": unit or "short"}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def stat(id, title, expr, x, y, w=4, h=4, desc="", thresholds=None, unit="short"):
    return {"id": id, "type": "stat", "title": title, "description": desc, "datasource": ds,
            "gridPos": {"x": x, "y": y, "w": w, "h": h},
            "targets": [{"refId": "A", "expr": expr, "datasource": ds}],
            "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": thresholds or [
                {"color": "green", "value": None}, {"color": "red", "value": 1}]}}, "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "background"}}


def grafana():
    panels = [
        stat(1, "Seconds since the last cycle", "time() - max(sagescale_last_cycle_timestamp_seconds)", 0, 0,
             desc="Alarm above 3 intervals: the daemon is down or stuck (docs/operations.md).",
             thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 120},
                         {"color": "red", "value": 180}], unit="s"),
        stat(2, "AAS policies attached", "max(sagescale_aas_policies_attached)", 4, 0,
             desc="Each fights sagescale over capacity: `sagescale plan` prints the command that removes it."),
        stat(3, "Dry run", "max(sagescale_dry_run)", 8, 0, desc="1: decisions are logged, no changing call is made."),
        stat(4, "Kill switch", "max(sagescale_actuation_suspended)", 12, 0,
             desc="1 while SIGUSR1 or suspend_actuation holds every call."),
        stat(5, "Leaders", "sum(sagescale_leader)", 16, 0, desc="High availability: exactly one replica leads.",
             thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1},
                         {"color": "red", "value": 2}]),
        stat(6, "Targets", "max(sagescale_targets)", 20, 0, desc="Targets in the policy set in force.",
             thresholds=[{"color": "blue", "value": None}]),
        ts(7, "Capacity: $target", [('sagescale_capacity{target=~"$target"}', "{{target}} {{kind}}")], 0, 4, w=24, h=9,
           desc="Current, desired and the bounds in force, per target (one panel per target: repeat by the target variable)."),
        ts(8, "Decisions", [('sum by (target, direction) (increase(sagescale_decisions_total{target=~"$target"}[$__rate_interval]))',
                             "{{target}} {{direction}}")], 0, 13),
        ts(9, "RegisterScalableTarget calls",
           [('sum by (target, purpose, outcome) (increase(sagescale_actuations_total{target=~"$target"}[$__rate_interval]))',
             "{{target}} {{purpose}} {{outcome}}")], 12, 13,
           desc="Alarm on any `failed` or `fenced` (docs/operations.md)."),
        ts(10, "Errors by kind", [('sum by (kind) (increase(sagescale_errors_total[$__rate_interval]))', "{{kind}}")], 0, 21,
           desc="Exported at 0 from the start, so increase() sees the first."),
        ts(11, "AWS calls by outcome",
           [('sum by (service, operation, outcome) (rate(sagescale_aws_calls_total[$__rate_interval]))',
             "{{service}} {{operation}} {{outcome}}")], 12, 21, unit="reqps"),
        ts(12, "Cycle time", [('histogram_quantile(0.99, sum by (le) (rate(sagescale_cycle_duration_seconds_bucket[$__rate_interval])))', "p99 cycle"),
                              ('max(sagescale_engine_seconds)', "engine")], 0, 29, unit="s"),
        ts(13, "Predictive forecast", [('sagescale_forecast{target=~"$target"}', "{{target}} {{quantity}}")], 12, 29,
           desc="Load per period, the capacity floor, the back-tested error, and whether the floor holds."),
        ts(14, "Quality guard phase", [('sagescale_quality_guard{target=~"$target"} == 1', "{{target}} {{phase}}")], 0, 37, w=24, h=6,
           desc="Anything but `healthy`: a guard has moved (or is moving) traffic to its fallback variant."),
    ]
    panels[6]["repeat"] = "target"
    panels[6]["repeatDirection"] = "h"
    panels[6]["maxPerRow"] = 2
    return {
        "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource",
                      "pluginId": "prometheus", "pluginName": "Prometheus"}],
        "title": "sagescale", "uid": "sagescale",
        "description": "The sagescale daemon's /metrics (docs/daemon.md, docs/operations.md).",
        "tags": ["sagescale", "sagemaker", "autoscaling"], "timezone": "utc", "schemaVersion": 39, "version": 1,
        "time": {"from": "now-24h", "to": "now"}, "refresh": "1m",
        "templating": {"list": [{"name": "target", "label": "target", "type": "query", "datasource": ds,
                                 "query": {"query": "label_values(sagescale_capacity, target)", "refId": "target"},
                                 "definition": "label_values(sagescale_capacity, target)",
                                 "includeAll": True, "multi": True, "current": {"text": "All", "value": "$__all"},
                                 "refresh": 2, "sort": 1}]},
        "panels": panels,
    }


def mw(title, expr, x, y, w=12, h=6, stat="Maximum"):
    return {"type": "metric", "x": x, "y": y, "width": w, "height": h,
            "properties": {"title": title, "region": "us-east-1", "view": "timeSeries", "stacked": False,
                           "period": 60, "stat": stat, "metrics": [[{"expression": expr, "id": "e1", "label": ""}]]}}


def cloudwatch():
    return {"widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown":
            "## sagescale\nIts own metrics (namespace `sagescale`, published with `publish_metrics = true`), beside SageMaker's. Replace `us-east-1` with your region before `aws cloudwatch put-dashboard`."}},
        mw("Desired capacity by target", "SEARCH('{sagescale,Target} MetricName=\"DesiredCapacity\"', 'Maximum', 60)", 0, 2),
        mw("Capacity changes by target", "SEARCH('{sagescale,Target} MetricName=\"Decisions\"', 'Sum', 60)", 12, 2, stat="Sum"),
        mw("Errors (metrics, capacity, actuation)", "SEARCH('{sagescale} MetricName=\"Errors\"', 'Sum', 60)", 0, 8, stat="Sum"),
        mw("Quality guard engaged", "SEARCH('{sagescale,Target} MetricName=\"QualityGuardEngaged\"', 'Maximum', 60)", 12, 8),
        mw("SageMaker invocations per instance",
           "SEARCH('{AWS/SageMaker,EndpointName,VariantName} MetricName=\"InvocationsPerInstance\"', 'Sum', 60)", 0, 14, stat="Sum"),
        mw("SageMaker model latency p99 (ms)",
           "SEARCH('{AWS/SageMaker,EndpointName,VariantName} MetricName=\"ModelLatency\"', 'p99', 60) / 1000", 12, 14, stat="p99"),
    ]}


if __name__ == "__main__":
    for name, doc in [("grafana-sagescale.json", grafana()), ("cloudwatch-sagescale.json", cloudwatch())]:
        with open(os.path.join(OUT, name), "w") as f:
            f.write(json.dumps(doc, indent=2) + "\n")
