# torque_embed(TARGET NAME FILES f1 f2 ...)
# Generates a static library NAME whose source defines
#   std::span<const torque::EmbeddedFile> torque::embedded::NAME();
# holding the text of each file (name = file name without directory), in the
# order given. Files are re-embedded whenever they change.
function(torque_embed name)
  cmake_parse_arguments(E "" "" "FILES" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}_embedded.cc)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DNAME=${name} -DOUT=${out} "-DFILES=${E_FILES}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake
    DEPENDS ${E_FILES} ${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake
    COMMENT "Embedding ${name}")
  add_library(${name} STATIC ${out})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
endfunction()
