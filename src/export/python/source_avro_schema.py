"""Part of a Kafka source job in the avro format (src/export/kafka-source.ts): the registry's schema."""
# ---- stand-ins: the job defines these above this part (the export writes only what follows the marker) ----
import lakehouse_spark as lh

TOPIC = "orders"
SCHEMA_REGISTRY = {"url": "http://localhost:8081", "username": None, "password_env": None}
# ---- job part ----
def avro_schema():
    """The subject's latest schema (TopicNameStrategy: <topic>-value)."""
    if TOPIC is None:
        raise SystemExit("a topicPattern source with the avro format: set the subject in avro_schema()")
    return lh.registry_schema(SCHEMA_REGISTRY["url"], TOPIC + "-value", SCHEMA_REGISTRY["username"], SCHEMA_REGISTRY["password_env"])
