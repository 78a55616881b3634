# ShapeVAE decoder (post_kl + transformer + geometry decoder) and volume decoding (dense grid and
# hierarchical refinement). Included by CMakeLists.txt beside it.
target_sources(orfeas_engine PRIVATE
  shape_vae.cpp
  volume_decoding.cpp)

if(ORFEAS_WITH_TESTS)
  target_sources(orfeas_engine_test PRIVATE
    shape_vae_test.cpp
    volume_decoding_test.cpp)
endif()
