# nnmip_add_test(NAME nn_forward_test SOURCES forward_test.cpp LIBS nnmip::nn LABELS unit)
# Tests run from the project root so they can reach ../shared/data by relative path.
function(nnmip_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} nnmip_test_support GTest::gtest GTest::gtest_main)
  nnmip_set_warnings(${T_NAME})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${T_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${T_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()
