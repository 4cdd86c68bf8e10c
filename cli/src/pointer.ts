/** JSON pointer "/environments/production/rules/0" → ["environments", "production", "rules", 0]. */
export function pointerSteps(pointer: string): Array<string | number> {
  return pointer
    .split('/')
    .slice(1)
    .map((step) => step.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((step) => (/^(0|[1-9]\d*)$/.test(step) ? Number(step) : step));
}
