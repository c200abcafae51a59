# Run by cpack before it builds a package (CPACK_PROJECT_CONFIG_FILE, set in
# cmake/packaging.cmake). Refuses a .deb whose binary would look for its shipped
# catalog and rules anywhere but /usr/share/errpulse, where the package puts them.
if(CPACK_GENERATOR STREQUAL "DEB" AND
   NOT CPACK_ERRPULSE_SHARE_DIR STREQUAL "/usr/share/errpulse")
  message(FATAL_ERROR
    "errpulse .deb: this build's binary looks for its shipped data in "
    "'${CPACK_ERRPULSE_SHARE_DIR}', but the package installs it in /usr/share/errpulse. "
    "Configure the build with -DCMAKE_INSTALL_PREFIX=/usr.")
endif()
