"""Part of every captured-file source job (src/export/kafka-source.ts): the kcat -J capture as Kafka rows."""
# ---- stand-ins: the job defines these above this part (the export writes only what follows the marker) ----
from pyspark.sql import functions as F
from pyspark.sql import types as T

CAPTURE_FILE = "captures/orders.jsonl"
RECORDED_OFFSETS = {}
VALUE_SCHEMA = None
# ---- job part ----
CAPTURE_SCHEMA = T.StructType([
    T.StructField("topic", T.StringType(), True),
    T.StructField("partition", T.IntegerType(), True),
    T.StructField("offset", T.LongType(), True),
    T.StructField("ts", T.LongType(), True),
    T.StructField("key", T.StringType(), True),
    T.StructField("payload", T.StringType(), True),
    T.StructField("headers", T.ArrayType(T.StringType()), True),
])


def read_messages(spark, starting_offsets=None):
    """The kcat -J capture as Kafka-shaped rows, less what the lake already records (RECORDED_OFFSETS)
    unless starting_offsets is "earliest"."""
    records = spark.readStream.schema(CAPTURE_SCHEMA).json(CAPTURE_FILE)
    # kcat lists headers as [name, value, name, value, ...].
    pairs = F.expr("CASE WHEN size(coalesce(headers, array())) >= 2 THEN transform(sequence(0, size(headers) - 2, 2), "
                   "i -> struct(headers[i] AS key, encode(headers[i + 1], 'UTF-8') AS value)) END")
    messages = records.select(
        F.col("topic"), F.col("partition"), F.col("offset"),
        F.expr("timestamp_millis(ts)").alias("timestamp"),
        F.encode(F.col("key"), "UTF-8").alias("key"),
        F.encode(F.col("payload"), "UTF-8").alias("value"),
        pairs.alias("headers"),
    )
    for topic, partitions in (RECORDED_OFFSETS if starting_offsets != "earliest" else {}).items():
        for partition, next_offset in partitions.items():
            messages = messages.where(~((F.col("topic") == topic) & (F.col("partition") == int(partition)) & (F.col("offset") < next_offset)))
    return messages


def value_schema(spark):
    if VALUE_SCHEMA is not None:
        return VALUE_SCHEMA
    payloads = spark.read.schema(CAPTURE_SCHEMA).json(CAPTURE_FILE).where(F.col("payload").isNotNull())
    return spark.read.json(payloads.rdd.map(lambda r: r.payload)).schema
