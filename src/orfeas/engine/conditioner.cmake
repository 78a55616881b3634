# The conditioner family: DINOv2 and the reference image's preparation (Hunyuan3D-2's
# SingleImageEncoder / DinoImageEncoder[MV] and ImageProcessorV2).
#
# OpenCV (cmake/OpenCV.cmake): cv::resize is what the reference's cv2 calls, so the prepared
# pixels match it.
target_sources(orfeas_engine PRIVATE
  dinov2.cpp
  conditioner.cpp)
target_include_directories(orfeas_engine SYSTEM PRIVATE ${ORFEAS_OPENCV_INCLUDE_DIRS})
target_link_libraries(orfeas_engine PUBLIC orfeas_model_io PRIVATE ${ORFEAS_OPENCV_LIBS})
# The composite over white rounds every float32 product and sum as numpy does: no FMA contraction.
set_source_files_properties(conditioner.cpp PROPERTIES COMPILE_OPTIONS -ffp-contract=off)

if(ORFEAS_WITH_TESTS)
  target_sources(orfeas_engine_test PRIVATE
    dinov2_test.cpp
    conditioner_test.cpp)
endif()
