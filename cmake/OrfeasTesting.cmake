# orfeas_add_test(NAME name LABELS label... LIBS lib... SOURCES file...)
#
# One GoogleTest executable per module, linked to the module libraries it covers; every test case
# becomes a CTest test carrying the given labels (unit, e2e, gpu, model) so `ctest -L unit` selects
# them. Tests find data through ORFEAS_SOURCE_DIR and built programs through ORFEAS_BINARY_DIR.
function(orfeas_add_test)
  cmake_parse_arguments(ARG "" "NAME" "LABELS;SOURCES;LIBS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${ARG_NAME} PRIVATE
    ORFEAS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    ORFEAS_BINARY_DIR="${PROJECT_BINARY_DIR}")
  orfeas_set_warnings(${ARG_NAME})
  gtest_discover_tests(${ARG_NAME}
    PROPERTIES LABELS "${ARG_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()
