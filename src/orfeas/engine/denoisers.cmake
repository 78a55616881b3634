# The two flow-matching denoisers: Hunyuan3DDiT (2.0 family) and HunYuanDiTPlain (2.1), configured
# by the structs of orfeas/models/model_config.h.
target_sources(orfeas_engine PRIVATE
  hunyuan3d_dit.cpp
  hunyuandit_plain.cpp)
if(TARGET orfeas_model_io)
  target_link_libraries(orfeas_engine PUBLIC orfeas_model_io)
endif()

if(ORFEAS_WITH_TESTS)
  target_sources(orfeas_engine_test PRIVATE
    hunyuan3d_dit_test.cpp
    hunyuandit_plain_test.cpp)
endif()
