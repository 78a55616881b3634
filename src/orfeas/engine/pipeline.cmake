# Checkpoints into Weights (checkpoint.h) and the whole image-to-volume pipeline.
target_sources(orfeas_engine PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/checkpoint.cpp ${CMAKE_CURRENT_SOURCE_DIR}/hunyuan3d_pipeline.cpp
                                     ${CMAKE_CURRENT_SOURCE_DIR}/random_model.cpp)
target_link_libraries(orfeas_engine PUBLIC orfeas_model_io)
if(ORFEAS_WITH_TESTS)
  target_sources(orfeas_engine_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/checkpoint_test.cpp
                                            ${CMAKE_CURRENT_SOURCE_DIR}/hunyuan3d_pipeline_test.cpp)
  target_link_libraries(orfeas_engine_test PRIVATE orfeas_testing)
endif()
