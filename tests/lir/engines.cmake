# lir.any.<spec>: the generated C driver, the LIR interpreter and the JIT
# agree on a spec with one root, whatever it describes (tests/lir/
# engines_any.c: random operations from the IR's geometry; memories,
# registers, instruction counts and answers equal). Every synthesis test
# spec with a range driver, plus simple_segment.
set(engines_any_specs
  tests/synth/pte_flags tests/synth/table_pointer tests/synth/enum_page_table
  tests/synth/base_limit tests/synth/base_length16 tests/synth/mmio_regs
  tests/synth/mpu_region specs/simple_segment)
if(VRSC_SANITIZE)
  set(engines_any_ops 2000)
else()
  set(engines_any_ops 100000)
endif()
foreach(s IN LISTS engines_any_specs)
  get_filename_component(n ${s} NAME)
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/engines/gen/${n})
  add_custom_command(
    OUTPUT ${gen}/${n}.h ${gen}/${n}.c
    COMMAND ${CMAKE_COMMAND} -E make_directory ${gen}
    COMMAND $<TARGET_FILE:vrsc> build --color=never --prefix ${n} -o ${gen} ${VRSC_ROOT}/${s}.vrs
    DEPENDS vrsc ${VRSC_ROOT}/${s}.vrs
    COMMENT "vrsc build ${s}.vrs (engine tests)"
    VERBATIM)
  add_executable(test_engines_any_${n} ${VRSC_ROOT}/tests/lir/engines_any.c ${gen}/${n}.c
    ${VRSC_ROOT}/runtime/vrs_hosted.c)
  target_include_directories(test_engines_any_${n} PRIVATE ${gen} ${VRSC_ROOT}/runtime)
  target_compile_definitions(test_engines_any_${n} PRIVATE PFX=${n})
  target_link_libraries(test_engines_any_${n} PRIVATE vrsc_core)
  add_test(NAME lir.any.${n} COMMAND test_engines_any_${n} ${s}.vrs ${engines_any_ops} 1
           WORKING_DIRECTORY ${VRSC_ROOT})
  set_tests_properties(lir.any.${n} PROPERTIES TIMEOUT ${VRSC_TEST_TIMEOUT}
    ENVIRONMENT "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/lir/lsan.supp:print_suppressions=0")
endforeach()
