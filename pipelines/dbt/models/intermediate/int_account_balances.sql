with daily as (
    select account_id, entry_date, sum(amount_usd) as net_change_usd
    from {{ ref('int_ledger_entries') }}
    where account_id is not null
    group by account_id, entry_date
)
select
    account_id,
    entry_date as balance_date,
    net_change_usd,
    sum(net_change_usd) over (partition by account_id order by entry_date
                              rows between unbounded preceding and current row) as balance_usd
from daily
