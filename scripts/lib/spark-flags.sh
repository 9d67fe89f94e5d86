# The JVM flags Spark 4 needs on Java 25 on top of FPWAP_JVM_FLAGS (the same list as spark.jvm.flags in
# fpwap-spark/pom.xml): Spark's Platform/StorageUtils and Kryo reach into java.base reflectively.
# For spark-submit, pass them as spark.driver.extraJavaOptions and spark.executor.extraJavaOptions (README).
FPWAP_SPARK_JVM_FLAGS=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true)
