import {
  AclOperationTypes as Op,
  AclPermissionTypes as Permission,
  AclResourceTypes as Resource,
  ResourcePatternTypes as Pattern,
  type DescribeAclResource,
} from 'kafkajs';

/** One ACL binding as the broker lists it. */
export interface Binding {
  resourceType: Resource;
  name: string;
  pattern: Pattern;
  principal: string;
  operation: Op;
  permission: Permission;
}

export function bindingsOf(resources: readonly DescribeAclResource[]): Binding[] {
  return resources.flatMap((resource) =>
    resource.acls.map((acl) => ({
      resourceType: resource.resourceType,
      name: resource.resourceName,
      pattern: resource.resourcePatternType,
      principal: acl.principal,
      operation: acl.operation,
      permission: acl.permissionType,
    })),
  );
}

function coversResource(binding: Binding, type: Resource, name: string): boolean {
  if (binding.resourceType !== type) return false;
  if (binding.pattern === Pattern.PREFIXED) return name.startsWith(binding.name);
  return binding.name === name || binding.name === '*';
}

/** As Kafka's authorizer: ALL implies every operation; READ, WRITE, DELETE, ALTER imply DESCRIBE. */
function implies(granted: Op, wanted: Op): boolean {
  if (granted === Op.ALL || granted === wanted) return true;
  return wanted === Op.DESCRIBE && [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER].includes(granted);
}

/** Whether the bindings let `principal` do `operation` on the resource (a DENY wins). */
export function allows(
  bindings: readonly Binding[],
  principal: string,
  type: Resource,
  name: string,
  operation: Op,
): boolean {
  const relevant = bindings.filter(
    (b) =>
      coversResource(b, type, name) &&
      (b.principal === principal || b.principal === 'User:*') &&
      implies(b.operation, operation),
  );
  if (relevant.some((b) => b.permission === Permission.DENY)) return false;
  return relevant.some((b) => b.permission === Permission.ALLOW);
}

/** Every principal (or `User:*`) an ALLOW binding lets write `topic`, unless denied outright. */
export function writersOf(bindings: readonly Binding[], topic: string): string[] {
  const principals = bindings
    .filter(
      (b) =>
        coversResource(b, Resource.TOPIC, topic) &&
        b.permission === Permission.ALLOW &&
        implies(b.operation, Op.WRITE),
    )
    .map((b) => b.principal);
  return [...new Set(principals)].filter((principal) =>
    allows(bindings, principal, Resource.TOPIC, topic, Op.WRITE),
  );
}

/** kafkajs's enums are plain objects at run time, without TypeScript's reverse mapping. */
export function opName(operation: Op): string {
  return Object.entries(Op).find(([, value]) => value === operation)?.[0] ?? String(operation);
}

export { Op, Resource };
