# torque_embed(NAME [FUNCTION F] FILES f1 f2 ...)
# Generates a static library NAME whose source defines
#   std::span<const torque::EmbeddedFile> torque::embedded::F();
# (F defaults to NAME without its "torque_" prefix; see core/embedded.h)
# holding the text of each file (name = file name without directory), in the
# order given. Files are re-embedded whenever they change.
function(torque_embed name)
  cmake_parse_arguments(E "" "FUNCTION" "FILES" ${ARGN})
  if(NOT E_FUNCTION)
    string(REGEX REPLACE "^torque_" "" E_FUNCTION ${name})
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}_embedded.cc)
  # A ';' in a command argument would split it; EmbedScript.cmake splits at '|'.
  string(REPLACE ";" "|" files_arg "${E_FILES}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DNAME=${E_FUNCTION} -DOUT=${out} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake
    DEPENDS ${E_FILES} ${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake
    COMMENT "Embedding ${name}"
    VERBATIM)
  add_library(${name} STATIC ${out})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
endfunction()
