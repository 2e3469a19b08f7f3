import {
  AppError,
  BusinessRuleError,
  ConflictError,
  NotFoundError,
  ValidationError,
} from '@geminis/service-kit';

/** Every error support answers with, by code (mapped to HTTP by the kit's problem middleware). */
export const departmentNotFound = () =>
  new NotFoundError('support.department_not_found', 'department not found');
export const ticketNotFound = () => new NotFoundError('support.ticket_not_found', 'ticket not found');
export const cannedReplyNotFound = () =>
  new NotFoundError('support.canned_reply_not_found', 'canned reply not found');

export const invalidField = (code: string, field: string, message: string) =>
  new ValidationError(code, `invalid request: ${field}: ${message}`, { fieldErrors: [{ field, message }] });

/** A department the caller may not open a ticket in answers exactly like one that does not exist. */
export const unknownDepartment = () =>
  invalidField('support.unknown_department', 'departmentId', 'no such department');

export const departmentNameTaken = () =>
  new ConflictError('support.department_name_taken', 'a department with this name already exists');
export const departmentInUse = () =>
  new ConflictError('support.department_in_use', 'the department has tickets: move or delete them first');
export const onlyPlatformShares = () =>
  invalidField('support.share_not_allowed', 'shared', 'only platform departments can be shared');
export const cannedTitleTaken = () =>
  new ConflictError('support.canned_reply_title_taken', 'a canned reply with this title already exists');

export const ticketClosed = () =>
  new BusinessRuleError('support.ticket_closed', 'the ticket is closed: reopen it first');
export const ticketNotClosed = () =>
  new BusinessRuleError('support.ticket_not_closed', 'only a closed ticket can be reopened');
export const templateNotFound = () =>
  new NotFoundError('support.template_not_found', 'no such template (or no override of it)');
export const webhookNotFound = () =>
  new NotFoundError('support.webhook_not_found', 'webhook endpoint not found');
export const webhookUrlTaken = () =>
  new ConflictError('support.webhook_url_taken', 'an endpoint with this URL already exists');
export const attachmentNotFound = () =>
  new NotFoundError('support.attachment_not_found', 'attachment not found');
export const attachmentTooLarge = (max: number) =>
  new AppError(413, 'support.attachment_too_large', `invalid request: file: larger than ${max} bytes`, {
    fieldErrors: [{ field: 'file', message: `larger than ${max} bytes` }],
  });
export const ticketAttachmentsFull = (max: number) =>
  new BusinessRuleError(
    'support.ticket_attachments_full',
    `the ticket's attachments would exceed ${max} bytes`,
    {
      fieldErrors: [{ field: 'file', message: `the ticket's attachments would exceed ${max} bytes` }],
    },
  );
export const ratingNeedsClosed = () =>
  new BusinessRuleError('support.rating_needs_closed', 'a ticket is rated once it is closed');
export const mergeOtherClient = () =>
  new BusinessRuleError('support.merge_other_client', 'only tickets of the same client can be merged', {
    fieldErrors: [{ field: 'intoTicketId', message: 'a ticket of another client' }],
  });
export const alreadyMerged = () =>
  new ConflictError('support.ticket_merged', 'the ticket was already merged into another');
export const ratingNotFound = () => new NotFoundError('support.rating_not_found', 'the ticket has no rating');
export const suppressionNotFound = () =>
  new NotFoundError('support.suppression_not_found', 'no such suppressed address');
export const smtpSettingsNotFound = () =>
  new NotFoundError('support.smtp_settings_not_found', 'this tenant has no SMTP server of its own');
