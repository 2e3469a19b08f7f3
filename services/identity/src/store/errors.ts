export { uniqueViolation } from '@geminis/service-kit';
