"""The work plan: strategies under each goal and workgroup, actions with an owner, a due date and a
status, and the action items recorded at meetings. Its writes are in `services`, its reads in
`selectors`; the pages are `views`."""
