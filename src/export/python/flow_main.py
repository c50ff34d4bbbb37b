"""Part of every flow job (src/export/flow-job.ts): the change feed read and refined per micro-batch."""
# ---- stand-ins: the job defines these above this part (the export writes only what follows the marker) ----
from pyspark.sql import SparkSession

import lakehouse_spark as lh

FLOW = {"name": "orders", "from": "raw.orders", "to": "refined.orders", "mode": "append", "key": None,
        "sequence_by": None, "scd": 1, "child_tables": []}
STARTING_VERSION = None
LAKE = "lake"
CHECKPOINT = "lake/_spark_checkpoints/flow-orders"
APP_ID = "lakehouse-spark/flow/orders"
transform_rows = None
# ---- job part ----
def main():
    spark = SparkSession.builder.appName("lakehouse-flow-" + FLOW["name"]).getOrCreate()
    lh.configure(spark)
    paths = {table: lh.table_path(LAKE, table) for table in [FLOW["from"], FLOW["to"]] + FLOW["child_tables"]}
    flow = dict(FLOW, paths=paths, app_id=APP_ID)
    reader = spark.readStream.format("delta").option("readChangeFeed", "true")
    if STARTING_VERSION is not None:
        reader = reader.option("startingVersion", STARTING_VERSION)
    changes = reader.load(paths[FLOW["from"]])
    refine = lh.refine_cdc_batch if FLOW["mode"] == "cdc" else lh.refine_append_batch
    query = (changes.writeStream
             .foreachBatch(lambda batch, batch_id: refine(batch, batch_id, flow, transform_rows))
             .option("checkpointLocation", CHECKPOINT)
             .start())
    query.awaitTermination()


if __name__ == "__main__":
    main()
