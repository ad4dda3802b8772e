//! The documentation of `service_facts`. Checked against `service_facts::Args` by the
//! tests in `crate::doc`.

use crate::doc::{ModuleDoc, Support};

pub const SERVICE_FACTS: ModuleDoc = ModuleDoc {
    args: &[],
    check_mode: Support::Full,
    diff: Support::None,
    examples: r#"- name: the target's services
  # No arguments. Under a running systemd: services['NAME.service'] with name,
  # state (running, stopped, or the ActiveState of a unit not loaded), status
  # (enabled, disabled, static, masked, not-found, failed ...) and source: systemd;
  # else, from SysV's `service --status-all`: state and source: sysv.
  service_facts:

- name: nginx is running
  assert:
    that: ansible_facts.services['nginx.service'].state == 'running'
  when: "'nginx.service' in ansible_facts.services | default({})"

- name: every enabled service
  debug:
    msg: "{{ ansible_facts.services | default({}) | dict2items | selectattr('value.status', 'defined')
             | selectattr('value.status', 'equalto', 'enabled') | map(attribute='key') | list }}"
"#,
};
