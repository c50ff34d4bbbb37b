"""Part of the declarative-pipeline file (src/export/dlt-pipeline.ts): what its tables read.
`spark` is the session the pipeline runtime provides as a global."""
# ---- stand-ins: the file defines these above this part (the export writes only what follows the marker) ----
TABLE_NAMES = {"raw.orders": "raw_orders"}
# ---- job part ----
def decoded(source_module):
    """A source's messages decoded as its format, from the pipeline file's startingOffsets."""
    start = getattr(source_module, "STARTING_OFFSETS_DEFAULT", "earliest")
    return source_module.decode(spark, source_module.read_messages(spark, start))


def changes_of(table):
    return spark.readStream.option("readChangeFeed", "true").table(TABLE_NAMES[table])
