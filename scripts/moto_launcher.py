"""Start moto's server with the five things it lacks for sagescale's tests, patched in memory
(moto's installed files are not touched). Usage: python moto_launcher.py -H 127.0.0.1 -p PORT.

1. Application Auto Scaling: moto 5.2.5 knows `sagemaker:variant:DesiredInstanceCount` only.
   The patch makes it accept the two other SageMaker scalable dimensions, each for its own
   resource type, exactly as AWS's RegisterScalableTarget documents them:
   `sagemaker:inference-component:DesiredCopyCount` on `inference-component/NAME`, and
   `sagemaker:variant:DesiredProvisionedConcurrency` on `endpoint/NAME/variant/VARIANT`.
   Anything else goes to moto's own check.
2. SageMaker: moto has no inference components. The patch adds CreateInferenceComponent,
   DescribeInferenceComponent, ListInferenceComponents (with its EndpointNameEquals filter)
   and DeleteInferenceComponent over an in-memory table, with the reply fields AWS documents that sagescale reads (status, runtime
   config with desired and current copy counts, endpoint and variant names). A component is
   InService at once with its requested copy count; nothing moves copies afterwards, as moto
   moves no instances either.
3. CloudWatch: moto 5.2.5's GetMetricData answers Sum, Average, Minimum, Maximum and
   SampleCount only; a percentile statistic (`p99`, `p50.5`) comes back without values. The
   patch computes it from the period's raw datapoints by nearest rank, as CloudWatch does for
   values published one by one (statistic sets carry no percentiles and are left out).
   Anything else goes to moto's own statistics.
4. SageMaker: moto 5.2.5's DescribeEndpoint leaves `ManagedInstanceScaling` out of each
   production variant, though the endpoint config keeps it. The patch copies it from the
   config's variant into the endpoint's, as AWS's ProductionVariantSummary carries it.
5. DynamoDB: moto's server is threaded and applies a conditional write as a check, then a
   write, with no lock between them, so two replicas taking a free lease at once can both
   pass `attribute_not_exists` and both believe they lead (with the interpreter's thread
   switch interval at 1 µs, 87 of 200 rounds of three concurrent takes had two winners).
   DynamoDB makes each conditional write atomic. The patch runs moto's item writes
   (PutItem, UpdateItem, DeleteItem, TransactWriteItems) one at a time under one lock.
"""
import datetime
import functools
import json
import math
import sys
import threading

import moto.applicationautoscaling.models as aas
import moto.cloudwatch.models as cw
import moto.dynamodb.models as ddb
import moto.sagemaker.models as sm
from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse
from moto.server import main

EXTRA_DIMENSIONS = {
    "sagemaker:inference-component:DesiredCopyCount": "inference-component",
    "sagemaker:variant:DesiredProvisionedConcurrency": "variant",
}
_moto_check = aas._target_params_are_valid


def _target_params_are_valid(namespace, r_id, dimension):
    if dimension in EXTRA_DIMENSIONS and namespace == "sagemaker":
        parts = (r_id or "").split("/")
        kind = parts[0] if parts[0] == "inference-component" else (parts[2] if len(parts) > 2 else "")
        if kind == EXTRA_DIMENSIONS[dimension]:
            return True
        raise aas.AWSValidationException(
            "Unsupported service namespace, resource type or scalable dimension"
        )
    return _moto_check(namespace, r_id, dimension)


aas._target_params_are_valid = _target_params_are_valid

# The request layer checks the dimension against the same enum before the model does.
import moto.applicationautoscaling.responses as aas_responses  # noqa: E402

_moto_validate = aas_responses.ApplicationAutoScalingResponse._validate_params


def _validate_params(self):
    if (
        self._get_param("ScalableDimension") in EXTRA_DIMENSIONS
        and self._get_param("ServiceNamespace") == "sagemaker"
    ):
        return None
    return _moto_validate(self)


aas_responses.ApplicationAutoScalingResponse._validate_params = _validate_params

_COMPONENTS = {}


def _account_region(resp):
    return resp.current_account, resp.region


def _create_inference_component(self):
    name = self._get_param("InferenceComponentName")
    key = (*_account_region(self), name)
    if key in _COMPONENTS:
        raise ValidationError(message=f"Cannot create already existing inference component {name}")
    copies = (self._get_param("RuntimeConfig") or {}).get("CopyCount", 1)
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    arn = f"arn:aws:sagemaker:{self.region}:{self.current_account}:inference-component/{name.lower()}"
    _COMPONENTS[key] = {
        "InferenceComponentName": name,
        "InferenceComponentArn": arn,
        "EndpointName": self._get_param("EndpointName"),
        "EndpointArn": f"arn:aws:sagemaker:{self.region}:{self.current_account}:endpoint/{str(self._get_param('EndpointName')).lower()}",
        "VariantName": self._get_param("VariantName"),
        "Specification": self._get_param("Specification") or {},
        "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
        "InferenceComponentStatus": "InService",
        "CreationTime": now,
        "LastModifiedTime": now,
    }
    return ActionResult({"InferenceComponentArn": arn})


def _describe_inference_component(self):
    name = self._get_param("InferenceComponentName")
    c = _COMPONENTS.get((*_account_region(self), name))
    if c is None:
        raise ValidationError(message=f"Could not find inference component {name}")
    return ActionResult(c)


def _list_inference_components(self):
    endpoint = self._get_param("EndpointNameEquals")
    mine = [
        c
        for (a, r, _), c in _COMPONENTS.items()
        if (a, r) == _account_region(self) and endpoint in (None, c["EndpointName"])
    ]
    return ActionResult({"InferenceComponents": mine})


def _delete_inference_component(self):
    name = self._get_param("InferenceComponentName")
    _COMPONENTS.pop((*_account_region(self), name), None)
    return EmptyResult()


SageMakerResponse.create_inference_component = _create_inference_component
SageMakerResponse.describe_inference_component = _describe_inference_component
SageMakerResponse.list_inference_components = _list_inference_components
SageMakerResponse.delete_inference_component = _delete_inference_component

_moto_statistic = cw.Statistics.get_statistics_for_type


def _statistic(self, stat):
    if stat.startswith("p"):
        try:
            q = float(stat[1:])
        except ValueError:
            q = None
        if q is not None and 0 <= q <= 100:
            values = sorted(self.metric_single_values_list)
            if not values:
                return None
            return values[max(math.ceil(q / 100 * len(values)) - 1, 0)]
    return _moto_statistic(self, stat)


cw.Statistics.get_statistics_for_type = _statistic

_moto_variants = sm.FakeEndpoint._process_production_variants


def _process_production_variants(self, production_variants):
    out = _moto_variants(self, production_variants)
    for summary, given in zip(out, production_variants):
        if given.get("ManagedInstanceScaling"):
            summary["ManagedInstanceScaling"] = given["ManagedInstanceScaling"]
    return out


sm.FakeEndpoint._process_production_variants = _process_production_variants

_ITEM_WRITES = threading.RLock()


def _serialised(write):
    @functools.wraps(write)
    def run(*args, **kwargs):
        with _ITEM_WRITES:
            return write(*args, **kwargs)

    return run


for _name in ("put_item", "update_item", "delete_item", "transact_write_items"):
    setattr(ddb.DynamoDBBackend, _name, _serialised(getattr(ddb.DynamoDBBackend, _name)))

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
