"""Part of every source job (src/export/kafka-source.ts): the streaming query into the raw table."""
# ---- stand-ins: the job defines these above this part (the export writes only what follows the marker) ----
from pyspark.sql import SparkSession

import lakehouse_spark as lh

SOURCE_NAME = "orders"
RAW_TABLE = "raw.orders"
DEAD_LETTERS_TABLE = "raw._dead_letters"
TRIGGER_INTERVAL = "1000 milliseconds"
LAKE = "lake"
CHECKPOINT = "lake/_spark_checkpoints/source-orders"
APP_ID = "lakehouse-spark/source/orders"
decode = read_messages = None
# ---- job part ----
def main():
    spark = SparkSession.builder.appName("lakehouse-source-" + SOURCE_NAME).getOrCreate()
    lh.configure(spark)
    raw_path = lh.table_path(LAKE, RAW_TABLE)
    dead_letters_path = lh.table_path(LAKE, DEAD_LETTERS_TABLE)
    decoded = decode(spark, read_messages(spark))
    query = (decoded.writeStream
             .foreachBatch(lambda batch, batch_id: lh.write_raw_batch(batch, batch_id, SOURCE_NAME, raw_path, dead_letters_path, APP_ID))
             .option("checkpointLocation", CHECKPOINT)
             .trigger(processingTime=TRIGGER_INTERVAL)
             .start())
    query.awaitTermination()


if __name__ == "__main__":
    main()
