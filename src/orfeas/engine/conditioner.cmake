# The conditioner family: DINOv2 and the reference image's preparation (Hunyuan3D-2's
# SingleImageEncoder / DinoImageEncoder[MV] and ImageProcessorV2).
#
# OpenCV: cv::resize is what the reference's cv2 calls, so the prepared pixels match it. Debian's
# libopencv-core-dev and libopencv-imgproc-dev ship the headers and libraries but not
# OpenCVConfig.cmake (that comes with the whole libopencv-dev), so the two libraries are found
# directly when the package config is absent.
find_package(OpenCV QUIET COMPONENTS core imgproc)
if(OpenCV_FOUND)
  set(ORFEAS_OPENCV_LIBS opencv_core opencv_imgproc)
  set(ORFEAS_OPENCV_INCLUDE_DIRS ${OpenCV_INCLUDE_DIRS})
else()
  find_path(ORFEAS_OPENCV_INCLUDE_DIR opencv2/imgproc.hpp PATH_SUFFIXES opencv4 REQUIRED)
  find_library(ORFEAS_OPENCV_CORE_LIB opencv_core REQUIRED)
  find_library(ORFEAS_OPENCV_IMGPROC_LIB opencv_imgproc REQUIRED)
  set(ORFEAS_OPENCV_LIBS ${ORFEAS_OPENCV_IMGPROC_LIB} ${ORFEAS_OPENCV_CORE_LIB})
  set(ORFEAS_OPENCV_INCLUDE_DIRS ${ORFEAS_OPENCV_INCLUDE_DIR})
endif()

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
