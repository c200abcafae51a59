# Install rules and the Debian package (CPack DEB), included from CMakeLists.txt.
#
# `cmake --build build --target package` (or `cpack` in the build dir) writes
# errpulse_<version>-<release>_<arch>.deb. What goes where:
#   /usr/sbin/errpulsed                          the daemon
#   /usr/share/errpulse/data/catalog.yaml        the shipped catalog
#   /usr/share/errpulse/rules/*.yaml             the shipped extraction and alert rules
#   /usr/share/errpulse/rules/prometheus/*.yml   Prometheus fleet rules (when present)
#   /usr/share/errpulse/data/dashboards/*.json   the Grafana dashboard (when present)
#   /usr/share/doc/errpulse/README.md
#   /etc/errpulse/errpulse.yaml                  the default config (a conffile)
#   /lib/systemd/system/errpulse.service         the unit
#   /usr/lib/sysusers.d/errpulse.conf            the errpulse system user
# The shipped-data paths mirror the source tree, because the binary looks for them
# the same way in both (ShippedDataDir(): <share dir>/data, <share dir>/rules).
# Configure-time only; nothing here runs in the daemon.

set(ERRPULSE_SHARE_DEST "${CMAKE_INSTALL_DATADIR}/errpulse")

install(TARGETS errpulsed RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES data/catalog.yaml DESTINATION ${ERRPULSE_SHARE_DEST}/data)
# Only the top level: the daemon loads rules/*.yaml; rules/prometheus is Prometheus's.
install(DIRECTORY rules/ DESTINATION ${ERRPULSE_SHARE_DEST}/rules
  FILES_MATCHING PATTERN "*.yaml" PATTERN "prometheus" EXCLUDE)
# Fleet rules and dashboards are globbed when installing, so files added later are
# packaged without re-running cmake; OPTIONAL while the directories do not exist.
# promtool unit tests (*_test.yml, tests/) stay in the source tree.
install(DIRECTORY rules/prometheus/ DESTINATION ${ERRPULSE_SHARE_DEST}/rules/prometheus
  OPTIONAL FILES_MATCHING PATTERN "*.yml" PATTERN "*.yaml"
  PATTERN "*_test.yml" EXCLUDE PATTERN "*_test.yaml" EXCLUDE PATTERN "tests" EXCLUDE)
install(DIRECTORY data/dashboards/ DESTINATION ${ERRPULSE_SHARE_DEST}/data/dashboards
  OPTIONAL FILES_MATCHING PATTERN "*.json")
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# System files at the paths Debian 12 uses, whatever the prefix.
install(FILES systemd/errpulse.service DESTINATION /lib/systemd/system)
install(FILES systemd/errpulse.sysusers DESTINATION /usr/lib/sysusers.d RENAME errpulse.conf)
# The config is the admin's once it exists: `cmake --install` never overwrites it
# (dpkg handles it as a conffile in the package). config/errpulse.yaml names no
# catalog or rules, so the binary's default, ${ERRPULSE_SHARE_DIR}, applies.
install(CODE "
  set(config \"\$ENV{DESTDIR}/etc/errpulse/errpulse.yaml\")
  if(EXISTS \"\${config}\")
    message(STATUS \"Kept (exists): \${config}\")
  else()
    # file(INSTALL) puts DESTDIR in front of the destination itself.
    file(INSTALL \"${CMAKE_CURRENT_SOURCE_DIR}/config/errpulse.yaml\"
         DESTINATION /etc/errpulse)
  endif()")

# The package.
set(ERRPULSE_DEB_MAINTAINER "errpulse maintainers <maintainers@errpulse.invalid>"
  CACHE STRING "Maintainer field of the .deb")
set(ERRPULSE_DEB_RELEASE "1" CACHE STRING "Debian revision of the .deb")

set(CPACK_GENERATOR "DEB")  # installs under /usr, the DEB generator's default prefix
set(CPACK_PACKAGE_NAME "errpulse")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${ERRPULSE_DEB_MAINTAINER}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")
set(CPACK_DEBIAN_PACKAGE_RELEASE "${ERRPULSE_DEB_RELEASE}")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# adduser: the postinst's fallback when systemd-sysusers is not there.
# procps: /bin/kill, which the unit's ExecReload uses.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "error-code metrics and alerts for live-room SDK logs")
# The long description; cpack puts the summary above it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "errpulsed tails live-room SDK and REST API logs, extracts error codes with
RE2 rules, classifies them from a catalog, exports Prometheus metrics on
/metrics and sends alerts to Alertmanager or webhooks. The package ships
the daemon, a systemd unit running it as the errpulse user (groups adm, to
read /var/log, and systemd-journal, to read the journal), a default config, the catalog and rules, a Grafana
dashboard and Prometheus fleet rules.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/conffiles"
  "${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/postinst"
  "${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/prerm"
  "${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The unit starts /usr/sbin/errpulsed and the binary looks for its shipped data
# under ERRPULSE_SHARE_DIR: a .deb from a build with another prefix would install
# a binary that cannot find its catalog. packaging/deb/check_prefix.cmake stops it.
set(CPACK_ERRPULSE_SHARE_DIR "${ERRPULSE_SHARE_DIR}")
set(CPACK_PROJECT_CONFIG_FILE "${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/check_prefix.cmake")
# `package_source`: the sources only, not build trees (they hold debootstrap roots).
set(CPACK_SOURCE_GENERATOR "TGZ")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git" "/build[^/]*/")
include(CPack)
