# The flow-matching schedules and the sampling loop (sampling.h).
target_sources(orfeas_engine PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/sampling.cpp)
if(ORFEAS_WITH_TESTS)
  target_sources(orfeas_engine_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/sampling_test.cpp)
endif()
