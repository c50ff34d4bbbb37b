"""Runs the export's storable_type (lakehouse_spark.py) against a stand-in of pyspark.sql.types
(pyspark cannot be installed here) and prints the widened form of a schema with every case, for
python-sources.test.ts to compare with what the local ingest stores. Only that one function is
taken from the file (ast), so nothing else of the module runs."""
import ast
import sys
import types


class DataType:
    def __init__(self, *args):
        self.args = args

    def __repr__(self):
        return type(self).__name__.replace("Type", "").lower() + (repr(self.args) if self.args else "")


T = types.SimpleNamespace()
for name in ["ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType", "StringType", "BinaryType"]:
    setattr(T, name, type(name, (DataType,), {}))


class DecimalType(DataType):
    def __init__(self, precision, scale):
        super().__init__(precision, scale)
        self.precision, self.scale = precision, scale


class StructField(DataType):
    def __init__(self, name, data_type, nullable, metadata=None):
        super().__init__(name, data_type, nullable)
        self.name, self.dataType, self.metadata = name, data_type, metadata


class StructType(DataType):
    def __init__(self, fields):
        super().__init__(fields)
        self.fields = fields


class ArrayType(DataType):
    def __init__(self, element_type, contains_null):
        super().__init__(element_type, contains_null)
        self.elementType = element_type


class MapType(DataType):
    def __init__(self, key_type, value_type, value_contains_null):
        super().__init__(key_type, value_type, value_contains_null)
        self.keyType, self.valueType = key_type, value_type


for cls in [DecimalType, StructField, StructType, ArrayType, MapType]:
    setattr(T, cls.__name__, cls)

tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
function = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "storable_type")
scope = {"T": T}
exec(compile(ast.Module(body=[function], type_ignores=[]), "storable_type", "exec"), scope)
schema = T.StructType([
    T.StructField("id", T.IntegerType(), False, {}),
    T.StructField("small", T.ShortType(), True, {}),
    T.StructField("tiny", T.ByteType(), True, {}),
    T.StructField("big", T.LongType(), True, {}),
    T.StructField("ratio", T.FloatType(), True, {}),
    T.StructField("price", T.DecimalType(10, 2), True, {}),
    T.StructField("wide", T.DecimalType(20, 0), True, {}),
    T.StructField("name", T.StringType(), True, {}),
    T.StructField("items", T.ArrayType(T.StructType([T.StructField("qty", T.IntegerType(), False, {})]), False), True, {}),
    T.StructField("counts", T.MapType(T.IntegerType(), T.FloatType(), False), True, {}),
])
print(repr(scope["storable_type"](schema)))
