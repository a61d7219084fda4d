# Runs one libFuzzer target for SECONDS on a copy of its committed corpus (cmake -P; see
# CMakeLists.txt): -DFUZZER=binary -DCORPUS=dir -DREGRESS=dir -DWORK=dir -DSECONDS=n
# The copy is WORK/corpus (new inputs go there, the committed corpus is never written); a crash
# is saved as WORK/crash-<sha1> and fails the test. A fixed seed and at most 5,000 inputs keep the
# CTest run the same on every machine (a gate must not fail at random); explore longer by hand:
# FUZZER -max_total_time=600 CORPUS.
file(REMOVE_RECURSE ${WORK}/corpus)
file(MAKE_DIRECTORY ${WORK}/corpus)
file(COPY ${CORPUS}/ DESTINATION ${WORK}/corpus)
set(seeds)
if(EXISTS ${REGRESS})
  set(seeds ${REGRESS})
endif()
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -seed=1 -runs=5000 -rss_limit_mb=2048 -timeout=30 -print_final_stats=1
          -artifact_prefix=${WORK}/ ${WORK}/corpus ${seeds}
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}): see the crash-* or timeout-* input in ${WORK}")
endif()
