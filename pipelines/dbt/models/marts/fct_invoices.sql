with final as (
with invoices as (select * from {{ ref('stg_invoices') }}),
totals as (select * from {{ ref('int_invoice_totals') }}),
paid as (select * from {{ ref('int_invoice_payments') }})
select
    invoices.invoice_id, invoices.customer_id, invoices.issued_at, invoices.due_at, invoices.invoice_status, invoices.currency,
    coalesce(totals.invoice_amount, 0) as invoice_amount,
    coalesce(paid.paid_amount, 0) as paid_amount,
    greatest(coalesce(totals.invoice_amount, 0) - coalesce(paid.paid_amount, 0), 0) as outstanding_amount
from invoices
left join totals on totals.invoice_id = invoices.invoice_id
left join paid on paid.invoice_id = invoices.invoice_id
)
select
    cast(invoice_id as number(38,0)) as invoice_id,
    cast(customer_id as number(38,0)) as customer_id,
    cast(issued_at as timestamp_ntz) as issued_at,
    cast(due_at as timestamp_ntz) as due_at,
    cast(invoice_status as varchar) as invoice_status,
    cast(currency as varchar) as currency,
    cast(invoice_amount as number(18,2)) as invoice_amount,
    cast(paid_amount as number(18,2)) as paid_amount,
    cast(outstanding_amount as number(18,2)) as outstanding_amount
from final
