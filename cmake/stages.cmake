# The pipeline stages: one static library errpulse_<stage> per folder of
# daemon/, included from CMakeLists.txt. The declarations below are the
# layering, bottom-up: a stage links, and its files may include, only the
# stages it lists in DEPS, and those must be declared above it, so the graph
# cannot have a cycle. LIBS are the third-party libraries its own code uses.
# tests/layering_check.py (CTest build.layering) holds every
# `#include "folder/..."` of daemon/ to these DEPS, read from the graph this
# file writes to <build>/errpulse_stages.txt.
#
# errpulse_core links every stage, for the tests, benchmarks and fuzz targets.
# Configure-time only; nothing here runs in the daemon.

# errpulse_stage(NAME [DEPS stage...] [LIBS target...]): errpulse_NAME from
# daemon/NAME/*.cc (an INTERFACE library while the folder has headers only).
function(errpulse_stage name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "DEPS;LIBS")
  set(target errpulse_${name})
  foreach(dep IN LISTS arg_DEPS)
    if(NOT TARGET errpulse_${dep})
      message(FATAL_ERROR "stage ${name}: DEPS names '${dep}', which is not a stage declared "
                          "above it in cmake/stages.cmake")
    endif()
  endforeach()
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/daemon/${name}/*.cc)
  if(sources)
    add_library(${target} STATIC ${sources})
    set(scope PUBLIC)
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  target_include_directories(${target} ${scope}
    ${CMAKE_SOURCE_DIR}/daemon ${CMAKE_BINARY_DIR}/generated)
  list(TRANSFORM arg_DEPS PREPEND errpulse_ OUTPUT_VARIABLE dep_targets)
  target_link_libraries(${target} ${scope} ${dep_targets} ${arg_LIBS})
  if(ERRPULSE_FUZZ)
    # The fuzz targets' code under test is the stages': instrument all of it.
    # -fno-sanitize-recover=all: the first UBSan report aborts the run (a
    # finding), instead of printing and carrying on.
    target_compile_options(${target} ${scope} -fsanitize=fuzzer-no-link,address,undefined
      -fno-sanitize-recover=all)
    target_link_options(${target} ${scope} -fsanitize=address,undefined -fno-sanitize-recover=all)
  endif()
  string(REPLACE ";" " " deps_text "${arg_DEPS}")
  set_property(GLOBAL APPEND PROPERTY ERRPULSE_STAGES ${name})
  set_property(GLOBAL APPEND PROPERTY ERRPULSE_STAGE_LINES "${name}: ${deps_text}")
endfunction()

errpulse_stage(common LIBS yaml-cpp)
# The seam every kind of input sits behind (LogSource, chunks, checkpoints).
errpulse_stage(source DEPS common)
errpulse_stage(classify DEPS common LIBS yaml-cpp)
errpulse_stage(extract DEPS common LIBS PkgConfig::RE2 yaml-cpp)
errpulse_stage(notify DEPS common
  LIBS Boost::system OpenSSL::SSL OpenSSL::Crypto nlohmann_json::nlohmann_json spdlog::spdlog
       Threads::Threads)
errpulse_stage(alert DEPS classify common extract notify
  LIBS yaml-cpp nlohmann_json::nlohmann_json)
errpulse_stage(config DEPS alert common LIBS yaml-cpp)
errpulse_stage(tail DEPS common config source
  LIBS Boost::system spdlog::spdlog ZLIB::ZLIB PkgConfig::ZSTD)
# The systemd journal source, read through sd-journal.
errpulse_stage(journal DEPS config source LIBS PkgConfig::SYSTEMD Boost::system spdlog::spdlog)
# The counts engine/ keeps and metrics/ and status/ read.
errpulse_stage(count DEPS classify source)
errpulse_stage(state DEPS alert source LIBS nlohmann_json::nlohmann_json)
errpulse_stage(metrics DEPS classify count source LIBS prometheus-cpp::core)
errpulse_stage(http DEPS common
  LIBS Boost::system OpenSSL::SSL OpenSSL::Crypto PkgConfig::LIBXCRYPT yaml-cpp spdlog::spdlog
       Threads::Threads)
errpulse_stage(status DEPS alert classify common config count http source
  LIBS nlohmann_json::nlohmann_json)
errpulse_stage(engine DEPS alert classify common config count extract journal metrics source state status tail
  LIBS Boost::system yaml-cpp spdlog::spdlog Threads::Threads)
errpulse_stage(service DEPS engine status LIBS PkgConfig::SYSTEMD Boost::system spdlog::spdlog)
errpulse_stage(cli DEPS alert common count engine http journal metrics service status tail
  LIBS Boost::system nlohmann_json::nlohmann_json spdlog::spdlog Threads::Threads)

get_property(ERRPULSE_STAGES GLOBAL PROPERTY ERRPULSE_STAGES)

# Every folder of daemon/ with code is a stage: one that is not would be
# compiled into nothing. The glob also re-runs CMake when a folder appears.
file(GLOB stage_dirs LIST_DIRECTORIES true CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/daemon/*)
foreach(dir IN LISTS stage_dirs)
  get_filename_component(folder ${dir} NAME)
  file(GLOB code ${dir}/*.h ${dir}/*.cc)
  if(IS_DIRECTORY ${dir} AND code AND NOT folder IN_LIST ERRPULSE_STAGES)
    message(FATAL_ERROR "daemon/${folder}/ is not a stage: declare it in cmake/stages.cmake")
  endif()
endforeach()

add_library(errpulse_core INTERFACE)
list(TRANSFORM ERRPULSE_STAGES PREPEND errpulse_ OUTPUT_VARIABLE stage_targets)
target_link_libraries(errpulse_core INTERFACE ${stage_targets})

# The declared graph, one `stage: deps` line each, for tests/layering_check.py.
get_property(stage_lines GLOBAL PROPERTY ERRPULSE_STAGE_LINES)
list(JOIN stage_lines "\n" stage_text)
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/errpulse_stages.txt
  CONTENT "# stage: the stages it may include (cmake/stages.cmake)\n${stage_text}\n" @ONLY)
