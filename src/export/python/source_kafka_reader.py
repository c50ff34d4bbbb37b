"""Part of every Kafka source job (src/export/kafka-source.ts): its Kafka options and reader."""
# ---- stand-ins: the job defines these above this part (the export writes only what follows the marker) ----
import os

import lakehouse_spark as lh

BOOTSTRAP_SERVERS = "localhost:9092"
TOPIC = "orders"
TOPIC_PATTERN = None
STARTING_OFFSETS_DEFAULT = "earliest"
FAIL_ON_DATA_LOSS = True
SSL = False
SASL_MECHANISM = None
SASL_USERNAME = None
SASL_PASSWORD_ENV = None
CLIENT_ID = None
MAX_MESSAGES_PER_BATCH = None
RECORDED_OFFSETS = {}
VALUE_SCHEMA = None
# ---- job part ----
def kafka_options():
    """The Kafka source's options; the SASL password comes from the environment, never this file."""
    options = {"kafka.bootstrap.servers": BOOTSTRAP_SERVERS, "includeHeaders": "true", "failOnDataLoss": "true" if FAIL_ON_DATA_LOSS else "false"}
    if TOPIC is not None:
        options["subscribe"] = TOPIC
    else:
        options["subscribePattern"] = TOPIC_PATTERN
    if CLIENT_ID:
        options["kafka.client.id"] = CLIENT_ID
    if SASL_MECHANISM:
        password = os.environ.get(SASL_PASSWORD_ENV or "")
        if password is None:
            raise SystemExit("set the environment variable %s to the SASL password" % SASL_PASSWORD_ENV)
        module = ("org.apache.kafka.common.security.plain.PlainLoginModule" if SASL_MECHANISM == "PLAIN"
                  else "org.apache.kafka.common.security.scram.ScramLoginModule")
        jaas_quote = lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        options["kafka.security.protocol"] = "SASL_SSL" if SSL else "SASL_PLAINTEXT"
        options["kafka.sasl.mechanism"] = SASL_MECHANISM
        options["kafka.sasl.jaas.config"] = "%s required username=%s password=%s;" % (module, jaas_quote(SASL_USERNAME), jaas_quote(password))
    elif SSL:
        options["kafka.security.protocol"] = "SSL"
    return options


def read_messages(spark, starting_offsets=None):
    """The topic(s) as Spark's Kafka source sees them: key, value, topic, partition, offset, timestamp,
    headers. By default from where the lake stopped (RECORDED_OFFSETS)."""
    options = kafka_options()
    reader = spark.readStream.format("kafka").options(**options)
    if starting_offsets is None:
        starting_offsets = lh.starting_offsets(spark, options, RECORDED_OFFSETS, STARTING_OFFSETS_DEFAULT)
    reader = reader.option("startingOffsets", starting_offsets)
    if MAX_MESSAGES_PER_BATCH:
        reader = reader.option("maxOffsetsPerTrigger", str(MAX_MESSAGES_PER_BATCH))
    return reader.load()


def value_schema(spark):
    return VALUE_SCHEMA if VALUE_SCHEMA is not None else lh.infer_value_schema(spark, kafka_options())
