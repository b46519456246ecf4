# Read by ctest after the tests discovered in workloads_tests (CMakeLists.txt):
# gives them the label threads beside workloads. Empty until the executable
# is built (ctest then reports workloads_tests_NOT_BUILT instead).
if(workloads_tests_TESTS)
  set_tests_properties(${workloads_tests_TESTS} PROPERTIES LABELS "workloads;threads")
endif()
