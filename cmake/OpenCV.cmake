# OpenCV core and imgproc: the image module's photo cut-out (GrabCut) and the engine's image
# preparation (cv::resize, as the reference's cv2). Debian's libopencv-core-dev and
# libopencv-imgproc-dev ship the headers and libraries but not OpenCVConfig.cmake (that comes with
# the whole libopencv-dev), so the two libraries are found directly when the package config is
# absent. Sets ORFEAS_OPENCV_LIBS and ORFEAS_OPENCV_INCLUDE_DIRS.
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

