"""Set up N SageMaker endpoints in moto for the daemon benchmark (run by scripts/bench-daemon.sh).

Each endpoint has 2 instances, a scalable target [1, 20], and InvocationsPerInstance for the
last 6 minutes: every tenth endpoint breaches its target (so the daemon acts), the rest sit
steady. Writes one policy file with a target-tracking policy per endpoint.
"""
import datetime
import os
import sys

import boto3

n = int(sys.argv[1])
out = sys.argv[2]
kw = dict(endpoint_url=os.environ["MOTO_ENDPOINT_URL"], region_name="us-east-1")
sm = boto3.client("sagemaker", **kw)
aas = boto3.client("application-autoscaling", **kw)
cw = boto3.client("cloudwatch", **kw)

sm.create_model(ModelName="bench-model", ExecutionRoleArn="arn:aws:iam::123456789012:role/x",
                PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"})
sm.create_endpoint_config(EndpointConfigName="bench-config", ProductionVariants=[{
    "VariantName": "AllTraffic", "ModelName": "bench-model", "InitialInstanceCount": 2,
    "InstanceType": "ml.m5.large"}])
now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
policies = []
data = []
for i in range(n):
    name = f"bench-{i:04d}"
    sm.create_endpoint(EndpointName=name, EndpointConfigName="bench-config")
    aas.register_scalable_target(ServiceNamespace="sagemaker",
                                 ResourceId=f"endpoint/{name}/variant/AllTraffic",
                                 ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                                 MinCapacity=1, MaxCapacity=20)
    value = 300.0 if i % 10 == 0 else 95.0
    dims = [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "AllTraffic"}]
    for m in range(1, 7):
        data.append({"MetricName": "InvocationsPerInstance", "Dimensions": dims,
                     "Timestamp": now - datetime.timedelta(minutes=m), "Value": value})
    if len(data) >= 1000:
        cw.put_metric_data(Namespace="AWS/SageMaker", MetricData=data)
        data = []
    policies.append(f"""[[targets]]
name = "{name}"
resource_id = "endpoint/{name}/variant/AllTraffic"
workload = "realtime"
min = 1
max = 20

[[targets.policies]]
name = "invocations"
type = "target-tracking"
metric = {{ predefined = "InvocationsPerInstance" }}
target = 100.0
""")
if data:
    cw.put_metric_data(Namespace="AWS/SageMaker", MetricData=data)
with open(out, "w") as f:
    f.write("\n".join(policies))
print(f"set up {n} endpoints")
