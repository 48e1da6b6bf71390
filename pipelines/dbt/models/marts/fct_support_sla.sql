with final as (
with tickets as (
    select *, datediff('hour', opened_at, resolved_at) as resolution_hours
    from {{ ref('stg_support_tickets') }}
)
select ticket_id, customer_id, priority, opened_at, resolved_at, resolution_hours,
       coalesce(resolution_hours > case priority when 'urgent' then 4 when 'high' then 24 else 72 end, true) as is_sla_breached
from tickets
)
select
    cast(ticket_id as number(38,0)) as ticket_id,
    cast(customer_id as number(38,0)) as customer_id,
    cast(priority as varchar) as priority,
    cast(opened_at as timestamp_ntz) as opened_at,
    cast(resolved_at as timestamp_ntz) as resolved_at,
    cast(resolution_hours as number(38,0)) as resolution_hours,
    cast(is_sla_breached as boolean) as is_sla_breached
from final
